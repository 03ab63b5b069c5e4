/**
 * Starts the real Zerocast HTTP server (main/server) in-process over the ffmpeg-made
 * {@link H264TestSource}, for WHEP tests that do not need the GPU engine.
 */
import { createServer, type ZerocastServer } from '../../main/server/server.ts';
import type { WhepOutputOptions } from '../../main/outputs/whep/whep-output.ts';
import { H264TestSource, type H264TestSourceOptions } from './h264-test-source.ts';

/** A running test server. */
export interface TestServer {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** `${url}/whep`. */
  readonly whepUrl: string;
  readonly source: H264TestSource;
  readonly server: ZerocastServer;
  /** Closes the server (and its WHEP sessions) and stops the source. */
  close(): Promise<void>;
}

/** Options of {@link startTestServer}. */
export interface TestServerOptions {
  /** Access token to require. */
  token?: string;
  /** Test stream settings (default 640x360, 30 fps). */
  stream?: H264TestSourceOptions;
  /** WHEP output settings. */
  whep?: WhepOutputOptions;
  /** Host to bind (default 127.0.0.1). */
  host?: string;
}

/** Starts source + server on a free port of 127.0.0.1. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const source = new H264TestSource(options.stream);
  const server = await createServer({
    source,
    timing: source.timing,
    token: options.token,
    whep: options.whep,
    status: () => ({ adapter: 'none (ffmpeg test source)', encoder: 'libx264 (file)' }),
  });
  const url = await server.listen({ host: options.host ?? '127.0.0.1', port: 0 });
  return {
    url,
    whepUrl: `${url}/whep`,
    source,
    server,
    async close() {
      await server.close();
      source.stop();
    },
  };
}
