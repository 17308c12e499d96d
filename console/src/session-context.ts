import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { HubClient } from '../../client/index.js';

export interface Session {
  client: HubClient;
  signOut(): void;
}

export const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside the signed-in console');
  return session;
}
