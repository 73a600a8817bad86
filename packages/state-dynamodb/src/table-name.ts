/** DynamoDB table-name rules, checked before any request is sent. */
import { ErrorCode, ValidationError } from '@kinesis-ts/core';

const TABLE_NAME = /^[a-zA-Z0-9_.-]{3,255}$/;
const TABLE_ARN = /^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:\d{12}:table\/[a-zA-Z0-9_.-]{3,255}$/;

/**
 * Checks a table name (3–255 characters of `a-z A-Z 0-9 _ . -`) or a table ARN.
 * @throws ValidationError naming the rule that was broken.
 */
export function validateTableName(tableName: unknown): asserts tableName is string {
  if (typeof tableName !== 'string' || tableName.length === 0) {
    throw new ValidationError(
      ErrorCode.INVALID_ARGUMENT,
      `tableName is required: the name of a DynamoDB table with a HASH key "shard" (S)`,
      {
        context: { tableName },
      },
    );
  }
  if (TABLE_NAME.test(tableName) || TABLE_ARN.test(tableName)) return;
  const why =
    tableName.length < 3 || tableName.length > 255
      ? `it has ${tableName.length} characters (DynamoDB allows 3 to 255)`
      : `it contains ${JSON.stringify(tableName.replace(/[a-zA-Z0-9_.-]/g, '').slice(0, 10))} (DynamoDB allows only letters, digits, "_", "." and "-")`;
  throw new ValidationError(
    ErrorCode.INVALID_ARGUMENT,
    `invalid DynamoDB table name ${JSON.stringify(tableName)}: ${why}`,
    {
      context: { tableName },
    },
  );
}
