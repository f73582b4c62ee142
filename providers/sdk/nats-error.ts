// The NATS client reports timeouts and "no responders" as errors with a string `code`
// ('TIMEOUT', '503'); this reads it without assuming anything else about the error.

export function natsErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const code = (error as { code: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}
