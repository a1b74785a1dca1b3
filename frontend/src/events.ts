// Data changes pushed by Yitu (GET /events, Server-Sent Events, event "tiles"): the viewer reloads the
// tiles a change touched. EventSource reconnects by itself and sends Last-Event-ID, and Yitu replays
// what was missed (or sends a change without layers: reload everything).
import type { Change } from './map2d';

export function subscribeChanges(onChange: (c: Change & { reason?: string }) => void): () => void {
  const es = new EventSource('/events');
  es.addEventListener('tiles', (e) => {
    try {
      onChange(JSON.parse((e as MessageEvent<string>).data));
    } catch {
      // a malformed event is ignored; the next one carries on
    }
  });
  return () => es.close();
}
