import { createContext, useContext } from 'react';
import type { Role } from './api-types';

/** Who is signed in, for the pages: a viewer sees everything and changes nothing. */
export interface SessionInfo {
  role: Role;
}

export const SessionContext = createContext<SessionInfo>({ role: 'viewer' });

export function useCanChange(): boolean {
  return useContext(SessionContext).role === 'admin';
}
