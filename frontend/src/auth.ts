// The caller's access token, kept in localStorage: sent as a bearer token on API calls and as
// access_token on the push routes (a browser sets no header on a WebSocket or an EventSource).
const key = 'yitu.token';

export function getToken(): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

export function setToken(t: string | null) {
  if (t) localStorage.setItem(key, t.trim());
  else localStorage.removeItem(key);
}

/** Headers with the token, when there is one. */
export function authHeaders(h: Record<string, string> = {}): Record<string, string> {
  const t = getToken();
  return t ? { ...h, Authorization: `Bearer ${t}` } : h;
}
