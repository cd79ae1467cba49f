import { ERROR_CATALOGUE, type GatewayError } from '../../canonical/errors.js';

/** Anthropic's error body: `{"type": "error", "error": {"type", "message"}}`. */
export function anthropicErrorBody(error: GatewayError): { type: 'error'; error: { type: string; message: string } } {
  return { type: 'error', error: { type: ERROR_CATALOGUE[error.code].anthropicType, message: error.message } };
}
