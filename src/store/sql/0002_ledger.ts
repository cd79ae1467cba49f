/** Migration 2: the ledger schema (filled in by the ledger work; empty until then). */

export const sqlite = `SELECT 1`;

export const postgres = `SELECT 1`;
