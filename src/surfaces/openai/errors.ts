import { ERROR_CATALOGUE, type GatewayError } from '../../canonical/errors.js';

/** OpenAI's error body: `{"error": {"message", "type", "param", "code"}}`. */
export function openAIErrorBody(error: GatewayError): { error: { message: string; type: string; param: string | null; code: string } } {
  return {
    error: {
      message: error.message,
      type: ERROR_CATALOGUE[error.code].openaiType,
      param: error.param ?? null,
      code: error.code,
    },
  };
}
