/**
 * The one table of error codes. Every error the hub answers, GraphQL or HTTP, carries
 * `extensions.code` (a name) and `extensions.errorCode` (a stable number integrators
 * branch on), both from here. docs/errors.md documents exactly these rows; a test
 * compares the two.
 *
 * `status` is the HTTP status when the error is the whole answer (an HTTP route, a
 * request refused before execution). An error raised while a GraphQL operation runs
 * comes back with HTTP 200 beside whatever data could be resolved.
 */
export const ERROR_CODES = {
  BAD_USER_INPUT: { errorCode: 4001, status: 400 },
  BAD_REQUEST: { errorCode: 4001, status: 400 },
  GRAPHQL_PARSE_FAILED: { errorCode: 4001, status: 400 },
  GRAPHQL_VALIDATION_FAILED: { errorCode: 4001, status: 400 },
  OPERATION_RESOLUTION_FAILURE: { errorCode: 4001, status: 400 },
  PERSISTED_QUERY_NOT_SUPPORTED: { errorCode: 4001, status: 200 },
  // The request's form is wrong for the route (a GET to a webhook): the caller's mistake,
  // fixed by changing the request, like any invalid parameter.
  METHOD_NOT_ALLOWED: { errorCode: 4001, status: 405 },
  UNAUTHENTICATED: { errorCode: 4002, status: 401 },
  FORBIDDEN: { errorCode: 4003, status: 403 },
  NOT_FOUND: { errorCode: 4004, status: 404 },
  // Automatic persisted queries: the hash is unknown, send the full query once.
  PERSISTED_QUERY_NOT_FOUND: { errorCode: 4004, status: 200 },
  CONFLICT: { errorCode: 4009, status: 409 },
  PAYLOAD_TOO_LARGE: { errorCode: 4013, status: 413 },
  // Reserved: the hub has no rate limit of its own yet; a limit added later answers this.
  RATE_LIMITED: { errorCode: 4029, status: 429 },
  INTERNAL_SERVER_ERROR: { errorCode: 5000, status: 500 },
  SERVICE_UNAVAILABLE: { errorCode: 5003, status: 503 },
  CHANNEL_DISABLED: { errorCode: 5003, status: 503 },
} as const satisfies Record<string, { errorCode: number; status: number }>;

export type HubErrorCode = keyof typeof ERROR_CODES;

export function isHubErrorCode(code: unknown): code is HubErrorCode {
  return typeof code === "string" && Object.prototype.hasOwnProperty.call(ERROR_CODES, code);
}

/** The number for a code; a code outside the table is an internal error (5000). */
export function errorCodeOf(code: unknown): number {
  return isHubErrorCode(code) ? ERROR_CODES[code].errorCode : ERROR_CODES.INTERNAL_SERVER_ERROR.errorCode;
}

export function httpStatusOf(code: HubErrorCode): number {
  return ERROR_CODES[code].status;
}
