/**
 * A tiny typed client of the Zerocast HTTP API (see ./schema.ts), used by the React UI and the
 * Electron preload. fetch-based (browsers, Electron renderers, Node ≥ 20); every response is
 * validated against its schema, so a server that drifts from the contract fails loudly here.
 */
import type { z } from 'zod';
import {
  ApiError,
  FrameTiming,
  FrameTimingList,
  MODEL_CONTENT_TYPE,
  MODEL_MAX_BYTES,
  SceneList,
  SettingsPatch,
  Status,
  describeIssues,
  thumbnailPath,
  type SceneInfo,
} from './schema.ts';

/** Where the server is and how to authenticate. */
export interface ClientOptions {
  /** Server origin, e.g. `http://127.0.0.1:8080` (a trailing slash is fine). */
  baseUrl: string;
  /** Bearer token, when the server has one. */
  token?: string | undefined;
  /** fetch implementation (default: the global one). */
  fetch?: typeof fetch;
}

/** A failed API call: the HTTP status (0 for network or contract errors) and the server's message. */
export class ApiRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiRequestError';
  }
}

/** Typed access to one Zerocast server. */
export class ZerocastClient {
  /** Server origin without a trailing slash. */
  readonly baseUrl: string;
  /** Bearer token, if any. */
  readonly token: string | undefined;
  private readonly fetchImpl: typeof fetch;

  constructor(options: ClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token || undefined;
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  /** Absolute URL of `path` on the server. */
  url(path: string): string {
    return this.baseUrl + path;
  }

  /** Absolute URL of the WHEP endpoint. */
  whepUrl(): string {
    return this.url('/whep');
  }

  /** `GET /api/status`. */
  status(): Promise<Status> {
    return this.json('GET', '/api/status', Status);
  }

  /** `GET /api/scenes`. */
  scenes(): Promise<SceneInfo[]> {
    return this.json('GET', '/api/scenes', SceneList);
  }

  /** `GET /api/scenes/<name>/thumbnail.png` as a Blob (fetched with the token, for `<img>` via object URLs). */
  async thumbnail(name: string): Promise<Blob> {
    const res = await this.request('GET', thumbnailPath(name));
    return res.blob();
  }

  /**
   * `PATCH /api/settings`: applies `patch` live and resolves with the new status.
   * @throws ApiRequestError (status 400) when the patch is invalid, before anything is sent.
   */
  patchSettings(patch: SettingsPatch): Promise<Status> {
    const parsed = SettingsPatch.safeParse(patch);
    if (!parsed.success) throw new ApiRequestError(400, describeIssues(parsed.error));
    return this.json('PATCH', '/api/settings', Status, {
      body: JSON.stringify(parsed.data),
      headers: { 'Content-Type': 'application/json' },
    });
  }

  /**
   * `POST /api/model`: uploads a binary glTF (.glb) and makes it the scene.
   * @throws ApiRequestError with the server's message when the model does not load.
   */
  uploadModel(data: Blob | ArrayBuffer | Uint8Array): Promise<Status> {
    const size = data instanceof Blob ? data.size : data.byteLength;
    if (size === 0) throw new ApiRequestError(400, 'the model file is empty');
    if (size > MODEL_MAX_BYTES) {
      throw new ApiRequestError(413, `the model is larger than ${MODEL_MAX_BYTES >> 20} MiB`);
    }
    return this.json('POST', '/api/model', Status, {
      body: data as BodyInit,
      headers: { 'Content-Type': MODEL_CONTENT_TYPE },
    });
  }

  /** `GET /api/timing?count=N`: the last `count` frame timing records, oldest first. */
  timing(count?: number): Promise<FrameTiming[]> {
    const query = count === undefined ? '' : `?count=${Math.max(1, Math.floor(count))}`;
    return this.json('GET', `/api/timing${query}`, FrameTimingList);
  }

  /**
   * `GET /api/timing/stream` (Server-Sent Events): calls `onRecord` with each frame's record until
   * `signal` aborts. Resolves when the stream ends; rejects on HTTP errors. Uses fetch rather than
   * EventSource so the bearer token travels in a header. Invalid events are skipped.
   */
  async streamTiming(onRecord: (timing: FrameTiming) => void, signal: AbortSignal): Promise<void> {
    const res = await this.request('GET', '/api/timing/stream', {
      headers: { Accept: 'text/event-stream' },
      signal,
    });
    if (!res.body) throw new ApiRequestError(0, 'the timing stream has no body');
    const parser = new SseParser((data) => {
      let value: unknown;
      try {
        value = JSON.parse(data);
      } catch {
        return;
      }
      const parsed = FrameTiming.safeParse(value);
      if (parsed.success) onRecord(parsed.data);
    });
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parser.feed(value);
      }
    } catch (error) {
      if (signal.aborted) return;
      throw error;
    } finally {
      reader.releaseLock();
    }
  }

  private async request(
    method: string,
    path: string,
    init: { body?: BodyInit; headers?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    let res: Response;
    try {
      res = await this.fetchImpl(this.url(path), {
        method,
        headers,
        body: init.body ?? null,
        signal: init.signal ?? null,
      });
    } catch (error) {
      if (init.signal?.aborted) throw error;
      throw new ApiRequestError(0, `cannot reach the server: ${(error as Error).message}`);
    }
    if (!res.ok) throw new ApiRequestError(res.status, await errorMessage(res));
    return res;
  }

  private async json<T extends z.ZodType>(
    method: string,
    path: string,
    schema: T,
    init: { body?: BodyInit; headers?: Record<string, string> } = {},
  ): Promise<z.infer<T>> {
    const res = await this.request(method, path, init);
    let value: unknown;
    try {
      value = await res.json();
    } catch {
      throw new ApiRequestError(0, `${method} ${path}: the answer is not JSON`);
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      throw new ApiRequestError(
        0,
        `${method} ${path}: the answer does not match the API contract (${describeIssues(parsed.error)})`,
      );
    }
    return parsed.data;
  }
}

/** The `{error}` message of a failed response, else its text, else its status line. */
async function errorMessage(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const parsed = ApiError.safeParse(JSON.parse(text));
    if (parsed.success) return parsed.data.error;
  } catch {
    // not JSON
  }
  const trimmed = text.trim();
  if (trimmed && trimmed.length < 300 && !trimmed.startsWith('<')) return trimmed;
  return `HTTP ${res.status} ${res.statusText}`.trim();
}

/**
 * An incremental parser of the Server-Sent Events wire format (WHATWG HTML §9.2): feed it text as
 * it arrives; it calls `onData` with the (newline-joined) `data:` lines of each complete event.
 */
export class SseParser {
  private buffer = '';
  private data: string[] = [];

  constructor(private readonly onData: (data: string) => void) {}

  /** Consumes a chunk of the stream. */
  feed(chunk: string): void {
    this.buffer += chunk;
    for (;;) {
      const nl = this.buffer.search(/\r\n|\r|\n/);
      if (nl < 0) break;
      const line = this.buffer.slice(0, nl);
      const skip = this.buffer.startsWith('\r\n', nl) ? 2 : 1;
      // A lone trailing \r may be the first half of \r\n: wait for more.
      if (skip === 1 && this.buffer[nl] === '\r' && nl === this.buffer.length - 1) break;
      this.buffer = this.buffer.slice(nl + skip);
      this.line(line);
    }
  }

  private line(line: string): void {
    if (line === '') {
      if (this.data.length) this.onData(this.data.join('\n'));
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return; // comment / keep-alive
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
  }
}
