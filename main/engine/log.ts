/** Logging: pino, human-readable on a terminal (pino-pretty), JSON lines otherwise. */
import { pino, type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';

export type Logger = PinoLogger;

/**
 * Creates the process logger, writing to stderr. Level from `ZEROCAST_LOG` (default `info`);
 * JSON lines when `ZEROCAST_LOG_JSON=1`, human-readable lines otherwise.
 */
export function createLogger(name = 'zerocast'): Logger {
  const level = process.env.ZEROCAST_LOG ?? 'info';
  if (process.env.ZEROCAST_LOG_JSON === '1') return pino({ name, level });
  return pino(
    { name, level },
    pretty({
      sync: true,
      destination: 2,
      ignore: 'pid,hostname,name',
      translateTime: 'HH:MM:ss.l',
    }),
  );
}
