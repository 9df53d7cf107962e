// The raw floor carrying faultline's payload (source context, contexts, gzip): see raw.mjs.
import * as raw from './raw.mjs';

raw.fullPayload();
export const { init, captureException, captureMessage, flush, close } = raw;
