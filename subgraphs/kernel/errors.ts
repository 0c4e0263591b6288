import { GraphQLError } from "graphql";

/**
 * Stable error codes clients can branch on. The message is for people; the code is
 * the contract.
 */
export type ErrorCode =
  | "BAD_USER_INPUT"
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "CONFLICT";

export function hubError(code: ErrorCode, message: string, extra: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extra } });
}

export const badInput = (message: string, extra?: Record<string, unknown>) => hubError("BAD_USER_INPUT", message, extra);
export const notFound = (message: string) => hubError("NOT_FOUND", message);
export const forbidden = (message = "You are not allowed to do this.") => hubError("FORBIDDEN", message);
export const unauthenticated = (message = "Sign in first: send a bearer token.") => hubError("UNAUTHENTICATED", message);
export const conflict = (message: string, extra?: Record<string, unknown>) => hubError("CONFLICT", message, extra);
