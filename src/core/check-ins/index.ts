export { captureCheckIn } from './check-in.js';
export type { CheckIn, CheckInStatus } from './check-in.js';
export { withMonitor } from './with-monitor.js';
export type { IntervalUnit, MonitorConfig, MonitorSchedule } from './monitor-config.js';
