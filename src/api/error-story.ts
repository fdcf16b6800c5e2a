// What a client sees of a failure during execution. Expected failures are typed results or GraphQL errors with a
// stable code and a message naming the input; anything else is unexpected: logged once here with the request id, and
// answered as `INTERNAL` with a message that only names that id (never the internal message, which may carry SQL,
// paths or stack frames). Messages are also clipped, since graphql-js quotes offending values whole.
import { GraphQLError, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { internalMessage, isLoupeError } from '../domain/errors.js';
import type { Logger } from '../log.js';

/** Longest error message sent to a client. */
export const MAX_ERROR_MESSAGE = 1_000;

/** A GraphQL error from either of graphql's module formats (yoga and Pothos may load different ones). */
export function isGraphQLError(e: unknown): e is GraphQLError {
  return e instanceof Error && e.name === 'GraphQLError';
}

/** An error raised on purpose by GraphQL or Loupe: it has no cause, or its cause is itself a GraphQL error. */
export function isExpectedGraphQLError(e: unknown): boolean {
  return isGraphQLError(e) && (e.originalError === undefined || e.originalError === null || isGraphQLError(e.originalError));
}

function clip(message: string): string {
  return message.length > MAX_ERROR_MESSAGE ? `${message.slice(0, MAX_ERROR_MESSAGE - 3)}...` : message;
}

/** The client's view of one error of an execution result. */
function present(e: GraphQLError, requestId: string | undefined, log: Logger): GraphQLError {
  // A LoupeError outside a typed-result field (a nested resolver) keeps its code and message.
  if (isLoupeError(e.originalError) && e.originalError.code !== 'INTERNAL')
    return new GraphQLError(clip(e.originalError.message), { nodes: e.nodes, path: e.path, extensions: { code: e.originalError.code } });
  if (isExpectedGraphQLError(e)) {
    if (e.message.length <= MAX_ERROR_MESSAGE) return e;
    return new GraphQLError(clip(e.message), { nodes: e.nodes, path: e.path, extensions: e.extensions });
  }
  const cause = e.originalError;
  log.error('unexpected error', { requestId, path: e.path?.join('.'), error: cause?.stack ?? String(cause) });
  return new GraphQLError(internalMessage(requestId), { nodes: e.nodes, path: e.path, extensions: { code: 'INTERNAL', ...(requestId ? { requestId } : {}) } });
}

function presentResult(result: ExecutionResult, requestId: string | undefined, log: Logger): ExecutionResult | null {
  if (!result.errors?.length) return null;
  const errors = result.errors.map((e) => present(e, requestId, log));
  return errors.every((e, i) => e === result.errors![i]) ? null : { ...result, errors };
}

const requestIdOf = (context: unknown): string | undefined => (context as { requestId?: string } | null)?.requestId;

export function useErrorStory(log: Logger): Plugin {
  return {
    onExecute({ args }) {
      const requestId = requestIdOf(args.contextValue);
      return {
        onExecuteDone({ result, setResult }) {
          if (Symbol.asyncIterator in (result as object)) return;
          const presented = presentResult(result as ExecutionResult, requestId, log);
          if (presented) setResult(presented);
        },
      };
    },
    onSubscribe({ args }) {
      const requestId = requestIdOf(args.contextValue);
      return {
        onSubscribeResult({ result, setResult }) {
          if (!(Symbol.asyncIterator in (result as object))) {
            const presented = presentResult(result as ExecutionResult, requestId, log);
            if (presented) setResult(presented);
            return;
          }
          return {
            onNext({ result: next, setResult: setNext }) {
              const presented = presentResult(next as ExecutionResult, requestId, log);
              if (presented) setNext(presented);
            },
          };
        },
      };
    },
  };
}
