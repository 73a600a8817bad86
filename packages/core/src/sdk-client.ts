/**
 * The AWS SDK clients kinesis-ts accepts from users, typed by the shape it uses rather than by the
 * SDK's classes: a client from any 3.x version of `@aws-sdk/client-kinesis` or
 * `@aws-sdk/client-dynamodb` fits, including one from a second copy of the SDK.
 */

/** An AWS SDK v3 client as far as sending commands goes (`KinesisClient`, `DynamoDBClient`). */
export interface SdkClientLike {
  /** The SDK's `client.send(command, options)`. */
  send(command: unknown, options?: unknown): Promise<unknown>;
}

/** An AWS SDK v3 client whose resolved config (region, endpoint, credentials) can be read. */
export interface ConfiguredSdkClientLike extends SdkClientLike {
  /** The client's resolved config (`client.config`). */
  readonly config: object;
  /** The SDK's `client.destroy()`. */
  destroy(): void;
}
