/**
 * The environment given to shard processes and threads: the parent's, minus credential variables
 * (credentials reach workers only over IPC).
 */

/** Variables that carry AWS credentials or point at them; never passed to shard workers. */
export const CREDENTIAL_ENV_VARS: readonly string[] = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_SECURITY_TOKEN',
  'AWS_PROFILE',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_ROLE_ARN',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
];

/** A copy of `env` without {@link CREDENTIAL_ENV_VARS}. */
export function workerEnvironment(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const copy: NodeJS.ProcessEnv = { ...env };
  for (const name of CREDENTIAL_ENV_VARS) delete copy[name];
  return copy;
}
