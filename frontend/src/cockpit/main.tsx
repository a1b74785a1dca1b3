import { render } from 'preact';
import { Cockpit } from './Cockpit';
import './cockpit.css';

/** Draws the cockpit in el (the viewer's page, opened as /map/?view=cockpit). */
export function start(el: HTMLElement) {
  document.body.classList.add('cockpit-page');
  document.querySelector('meta[name=color-scheme]')?.setAttribute('content', 'dark');
  render(<Cockpit />, el);
}
