/** Migration 3: the sovereignty schema (filled in by the sovereignty work; empty until then). */

export const sqlite = `SELECT 1`;

export const postgres = `SELECT 1`;
