/** React hooks over the API: polled status, the scene list, and the live frame-timing feed. */
import { useCallback, useEffect, useState } from 'react';
import type { FrameTiming, SceneInfo, Status } from '../../../main/api/schema.ts';
import { client } from './api.ts';

/** The server's status, polled every `intervalMs`; `refresh` polls now; `set` installs a fresh one. */
export function useStatus(intervalMs = 1000): {
  status: Status | undefined;
  error: string | undefined;
  refresh: () => void;
  set: (s: Status) => void;
} {
  const [status, setStatus] = useState<Status>();
  const [error, setError] = useState<string>();
  const refresh = useCallback(() => {
    client.status().then(
      (s) => {
        setStatus(s);
        setError(undefined);
      },
      (e: unknown) => setError((e as Error).message),
    );
  }, []);
  useEffect(() => {
    refresh();
    const t = setInterval(refresh, intervalMs);
    return () => clearInterval(t);
  }, [refresh, intervalMs]);
  return { status, error, refresh, set: setStatus };
}

/** The built-in scenes (fetched once, retried every 3 s until it works). */
export function useScenes(): { scenes: SceneInfo[] | undefined; error: string | undefined } {
  const [scenes, setScenes] = useState<SceneInfo[]>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    let alive = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = () => {
      client.scenes().then(
        (list) => alive && setScenes(list),
        (e: unknown) => {
          if (!alive) return;
          setError((e as Error).message);
          timer = setTimeout(load, 3000);
        },
      );
    };
    load();
    return () => {
      alive = false;
      clearTimeout(timer);
    };
  }, []);
  return { scenes, error };
}

/** An object URL of a scene's thumbnail (fetched with the token), revoked on unmount. */
export function useThumbnail(name: string): string | undefined {
  const [url, setUrl] = useState<string>();
  useEffect(() => {
    let alive = true;
    let objectUrl: string | undefined;
    client.thumbnail(name).then(
      (blob) => {
        if (!alive) return;
        objectUrl = URL.createObjectURL(blob);
        setUrl(objectUrl);
      },
      () => undefined,
    );
    return () => {
      alive = false;
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [name]);
  return url;
}

/** Records kept by the timing feed (60 s at 60 fps). */
export const TIMING_CAPACITY = 3600;

/**
 * The live frame-timing feed: the server's recent records, then every new record from the SSE
 * stream (falling back to polling `GET /api/timing` if the stream fails). Publishes a new array
 * at most every `renderEveryMs`, oldest first, at most {@link TIMING_CAPACITY} records.
 */
export function useTimingFeed(renderEveryMs = 250): {
  frames: FrameTiming[];
  source: 'stream' | 'polling' | 'connecting';
} {
  const [frames, setFrames] = useState<FrameTiming[]>([]);
  const [source, setSource] = useState<'stream' | 'polling' | 'connecting'>('connecting');
  useEffect(() => {
    const abort = new AbortController();
    const buffer: FrameTiming[] = [];
    let dirty = false;
    let lastId = -1;
    const add = (t: FrameTiming) => {
      if (t.id <= lastId) return;
      lastId = t.id;
      buffer.push(t);
      if (buffer.length > TIMING_CAPACITY * 1.25) buffer.splice(0, buffer.length - TIMING_CAPACITY);
      dirty = true;
    };
    const poll = async () => {
      setSource('polling');
      while (!abort.signal.aborted) {
        try {
          for (const t of await client.timing(TIMING_CAPACITY)) add(t);
        } catch {
          // server restarting: try again
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    };
    void (async () => {
      try {
        for (const t of await client.timing(TIMING_CAPACITY)) add(t);
      } catch {
        // the stream below reports the problem
      }
      try {
        setSource('stream');
        await client.streamTiming(add, abort.signal);
      } catch {
        // no SSE: poll instead
      }
      if (!abort.signal.aborted) await poll();
    })();
    const timer = setInterval(() => {
      if (!dirty) return;
      dirty = false;
      setFrames(buffer.slice(-TIMING_CAPACITY));
    }, renderEveryMs);
    return () => {
      abort.abort();
      clearInterval(timer);
    };
  }, [renderEveryMs]);
  return { frames, source };
}
