/**
 * The emulators' region and static credentials, in a module of its own so that side processes can
 * use them without loading the emulator harness (whose memory is not the measured side's).
 */

/** Region of every benchmark client. */
export const REGION = 'us-east-1';
/** Static credentials the emulators accept. */
export const CREDENTIALS = { accessKeyId: 'bench', secretAccessKey: 'bench' };
