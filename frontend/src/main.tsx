import { render } from 'preact';
import { App } from './ui/App';
import './style.css';

// /map/?view=cockpit (or /cockpit) is the cockpit, 数字驾驶舱, loaded on demand with its charts; the
// map's first view does not carry them.
if (new URLSearchParams(location.search).get('view') === 'cockpit') {
  void import('./cockpit/main').then((m) => m.start(document.getElementById('app')!));
} else {
  render(<App />, document.getElementById('app')!);
}
