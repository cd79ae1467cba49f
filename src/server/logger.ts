import { pino, type Logger, type LoggerOptions } from 'pino';
import { isoTimestamp } from '../util/iso-time.js';

/** Paths that could carry a credential; pino removes them before a line is written. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-api-key"]',
  'authorization',
  'apiKey',
  'apiKeys',
  'key',
  '*.apiKey',
  '*.apiKeys',
  '*.authorization',
];

export function createLogger(level: LoggerOptions['level'], destination?: pino.DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: 'switchboard' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    // pino's stdTimeFunctions.isoTime, with the formatted second reused (src/util/iso-time.ts).
    timestamp: () => `,"time":"${isoTimestamp()}"`,
  };
  return destination ? pino(options, destination) : pino(options);
}
