/** Placeholder until the package lands. */
export const PACKAGE_NAME = '@kinesis-ts/state-dynamodb';
