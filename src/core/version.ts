// Kept in step with package.json by a test (test/core/version.test.ts).
export const SDK_VERSION = '0.1.0';
export const SDK_NAME = 'faultline.node';
export const SDK_PACKAGE = 'npm:faultline';
