import { GraphQLError } from "graphql";
import { errorCodeOf, isHubErrorCode, type HubErrorCode } from "./error-codes";

/**
 * Stable error codes clients can branch on (the table is in error-codes.ts). The
 * message is for people; `code` and its number `errorCode` are the contract.
 */
export type ErrorCode = HubErrorCode;

export function hubError(code: ErrorCode, message: string, extra: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { ...extra, code, errorCode: errorCodeOf(code) } });
}

export const badInput = (message: string, extra?: Record<string, unknown>) => hubError("BAD_USER_INPUT", message, extra);
export const notFound = (message: string) => hubError("NOT_FOUND", message);
export const forbidden = (message = "You are not allowed to do this.") => hubError("FORBIDDEN", message);
export const unauthenticated = (message = "Sign in first: send a bearer token.") => hubError("UNAUTHENTICATED", message);
export const conflict = (message: string, extra?: Record<string, unknown>) => hubError("CONFLICT", message, extra);

/**
 * The extensions an error leaves with: its code, or INTERNAL_SERVER_ERROR when it has
 * none or one outside the table, and that code's number.
 */
export function withErrorCode(extensions: Record<string, unknown> | undefined): Record<string, unknown> & { code: HubErrorCode; errorCode: number } {
  const code = isHubErrorCode(extensions?.code) ? extensions.code : "INTERNAL_SERVER_ERROR";
  return { ...extensions, code, errorCode: errorCodeOf(code) };
}

/** A commit the database may or may not have made (the connection was lost while committing). */
export const COMMIT_OUTCOME_UNKNOWN_MESSAGE = "The database connection was lost while committing: the change may or may not have been made. Read the state back before retrying.";
