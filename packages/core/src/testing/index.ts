/** Placeholder. */
export const TESTING = true;
