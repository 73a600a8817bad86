/**
 * Options every command accepts: where AWS is, credentials, output format.
 */
import type { OptionSpecs } from './command-spec.js';

/** Options of every command. */
export const GLOBAL_OPTIONS: OptionSpecs = {
  region: {
    type: 'string',
    valueName: '<region>',
    description: 'AWS region (default: AWS_REGION, then the profile, as the SDK resolves it)',
  },
  'endpoint-url': {
    type: 'string',
    valueName: '<url>',
    description:
      'Endpoint for Kinesis and DynamoDB, e.g. LocalStack (default: AWS_ENDPOINT_URL_KINESIS / AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL)',
  },
  'dynamodb-endpoint-url': {
    type: 'string',
    valueName: '<url>',
    description: 'Endpoint for DynamoDB only, when it differs from the Kinesis one',
  },
  profile: {
    type: 'string',
    valueName: '<name>',
    description:
      'Shared config/credentials profile (same as AWS_PROFILE); other credentials come from the SDK default chain',
  },
  json: { type: 'boolean', description: 'Machine-readable JSON on stdout instead of tables' },
  'no-color': {
    type: 'boolean',
    description: 'No colours (also: NO_COLOR=1; colours are only used on a terminal)',
  },
  help: { type: 'boolean', short: 'h', description: 'Show help for the command' },
};
