// The API beside the page. Every failure becomes an ApiError the screen can explain and retry; none hangs.

const TIMEOUT_MS = 15000;

export class ApiError extends Error {
  constructor(status, problem, retryAfter) {
    super(problem?.detail || `HTTP ${status}`);
    this.status = status; // 0: no answer (network down, timeout)
    this.problem = problem;
    this.retryAfter = retryAfter;
  }
}

export class Cancelled extends Error {}

export async function call(method, path, { body, signal, headers = {} } = {}) {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), TIMEOUT_MS);
  const cancel = () => timeout.abort();
  signal?.addEventListener("abort", cancel);
  try {
    const response = await fetch(path, {
      method,
      headers: body === undefined ? headers : { "Content-Type": "application/json", ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: timeout.signal,
      cache: "no-store",
    });
    const type = response.headers.get("Content-Type") || "";
    const data = type.includes("json") ? await response.json().catch(() => null) : null;
    if (!response.ok) {
      const retryAfter = Number.parseInt(response.headers.get("Retry-After") || "", 10);
      throw new ApiError(response.status, data, Number.isFinite(retryAfter) ? retryAfter : null);
    }
    return { data, etag: response.headers.get("ETag") };
  } catch (error) {
    if (signal?.aborted) throw new Cancelled();
    if (error instanceof ApiError) throw error;
    throw new ApiError(0, null, null);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", cancel);
  }
}
