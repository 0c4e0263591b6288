/** A small GraphQL-over-HTTP client for the demo seeder, the benchmark and tests. */
export interface GraphQLResponse<T = Record<string, any>> {
  status: number;
  data?: T | null;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: { code?: string; [k: string]: unknown } }>;
}

export async function graphql<T = Record<string, any>>(url: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<GraphQLResponse<T>> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as GraphQLResponse<T>;
  return { ...body, status: res.status };
}

/** Like graphql() but throws on any error, for callers that expect success. */
export async function mustQuery<T = Record<string, any>>(url: string, query: string, variables: Record<string, unknown>, token?: string): Promise<T> {
  const r = await graphql<T>(url, query, variables, token);
  if (r.errors?.length || !r.data) {
    throw new Error(`GraphQL request failed (${r.status}): ${JSON.stringify(r.errors ?? r).slice(0, 500)}`);
  }
  return r.data;
}
