/**
 * Prompts for the demo's traffic: a task line per feature and filler text of the requested length. The words
 * only need to look like work in a request log and to have a size; nobody reads the answers.
 */
import type { Random } from './random.js';

const TASKS: Readonly<Record<string, string>> = {
  'ticket-triage': 'Classify this support ticket by product area and urgency, and say why.',
  'reply-draft': 'Draft a friendly reply to the customer message below.',
  summaries: 'Summarise the conversation below in three bullet points.',
  completion: 'Complete the function below; keep the existing style.',
  'code-review': 'Review this diff for bugs, missing tests and unclear names.',
  refactor: 'Refactor the module below into smaller functions without changing behaviour.',
  evals: 'Answer the benchmark question below, then give your confidence.',
  literature: 'Extract the main claims and the evidence for each from the abstract below.',
  reporting: 'Write the weekly KPI commentary for the figures below.',
  'sql-explain': 'Explain what this SQL query computes and how to make it faster.',
  'policy-qa': 'Answer the employee question below from the HR handbook excerpt.',
  'cv-screening': 'Summarise this CV against the job description; list gaps.',
};

const SYSTEM: Readonly<Record<string, string>> = {
  'support-bot': 'You are the support assistant of an online store. Be brief and polite.',
  'code-assistant': 'You are a senior engineer pairing with the user. Prefer small, tested changes.',
  'research-lab': 'You are a careful research assistant. Cite what you rely on.',
  'eu-analytics': 'You are a data analyst. Figures are confidential and stay in the EU.',
  'hr-assistant': 'You are the HR assistant. The text contains personal data; never repeat it needlessly.',
};

const WORDS = (
  'order invoice refund delivery account password checkout latency error retry customer region quarterly revenue ' +
  'churn cohort query index join table function module test branch deploy release budget forecast contract ' +
  'employee leave policy salary onboarding candidate skills experience summary abstract method result dataset ' +
  'model token cache stream fallback provider warehouse shipment parcel address payment subscription plan'
).split(' ');

export function systemPrompt(app: string): string {
  return SYSTEM[app] ?? 'You are a helpful assistant.';
}

/** The user turn: the feature's task line and `words` words of material. */
export function userPrompt(feature: string, words: number, random: Random): string {
  const material: string[] = [];
  for (let i = 0; i < words; i++) material.push(WORDS[Math.floor(random() * WORDS.length)]!);
  return `${TASKS[feature] ?? 'Help with the text below.'}\n\n${material.join(' ')}`;
}

/**
 * A simulator directive that sets the answer's length (docs/simulator.md): the gateway forwards message text
 * unchanged, so the simulated host sees it whichever host the gateway picks.
 */
export function answerLengthDirective(outputTokens: number): string {
  return ` #sim{"outputTokens":${outputTokens}}`;
}
