import { describe, expect, it } from 'vitest';
import { containerStatusText, humanDuration, type StatusFacts, type StatusWords } from './status';

const en: StatusWords = {
  up: (d) => `Up ${d}`,
  exited: (c, a) => `Exited (${c}) ${a} ago`,
  restarting: (c, a) => `Restarting (${c}) ${a} ago`,
  paused: 'Paused',
  created: 'Created',
  dead: 'Dead',
  removing: 'Removal in progress',
  health: { healthy: 'healthy', unhealthy: 'unhealthy', starting: 'health: starting' },
  lessThanSecond: 'Less than a second',
  aboutMinute: 'About a minute',
  aboutHour: 'About an hour',
  count: (n, unit) => new Intl.NumberFormat('en-GB', { style: 'unit', unit, unitDisplay: 'long' }).format(n),
};
const es: StatusWords = {
  ...en,
  up: (d) => `En marcha desde hace ${d}`,
  exited: (c, a) => `Terminó (${c}) hace ${a}`,
  count: (n, unit) => new Intl.NumberFormat('es-ES', { style: 'unit', unit, unitDisplay: 'long' }).format(n),
};

const T0 = Date.parse('2026-01-01T12:00:00Z');
const at = (ms: number) => T0 + ms;
const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

const running: StatusFacts = { state: 'running', status: 'Up Less than a second', health: null, startedAt: new Date(T0).toISOString() };
const exited: StatusFacts = {
  state: 'exited',
  status: 'Exited (0) Less than a second ago',
  health: null,
  startedAt: null,
  finishedAt: new Date(T0).toISOString(),
  exitCode: 0,
};

describe('containerStatusText: true as time passes, not frozen at the last event', () => {
  it('a running container ages with the clock', () => {
    expect(containerStatusText(running, at(200), en)).toBe('Up Less than a second');
    expect(containerStatusText(running, at(5 * S), en)).toBe('Up 5 seconds');
    expect(containerStatusText(running, at(90 * S), en)).toBe('Up About a minute');
    expect(containerStatusText(running, at(5 * M), en)).toBe('Up 5 minutes');
    expect(containerStatusText(running, at(3 * H), en)).toBe('Up 3 hours');
    expect(containerStatusText(running, at(3 * D), en)).toBe('Up 3 days');
  });

  it('an exited container says its exit code and how long ago it ended', () => {
    expect(containerStatusText(exited, at(0), en)).toBe('Exited (0) Less than a second ago');
    expect(containerStatusText(exited, at(2 * H), en)).toBe('Exited (0) 2 hours ago');
    expect(containerStatusText({ ...exited, exitCode: 137 }, at(10 * M), en)).toBe('Exited (137) 10 minutes ago');
  });

  it('health, pause and restart are part of the text', () => {
    expect(containerStatusText({ ...running, health: 'healthy' }, at(5 * M), en)).toBe('Up 5 minutes (healthy)');
    expect(containerStatusText({ ...running, health: 'starting' }, at(2 * S), en)).toBe('Up 2 seconds (health: starting)');
    expect(containerStatusText({ ...running, state: 'paused' }, at(5 * M), en)).toBe('Up 5 minutes (Paused)');
    expect(containerStatusText({ ...exited, state: 'restarting', exitCode: 1 }, at(3 * S), en)).toBe('Restarting (1) 3 seconds ago');
  });

  it('states without a time, and unknown times, fall back to words that stay true', () => {
    expect(containerStatusText({ ...exited, state: 'created', status: 'Created' }, at(H), en)).toBe('Created');
    expect(containerStatusText({ ...exited, state: 'dead' }, at(H), en)).toBe('Dead');
    // Not inspected yet: the engine's own words, as of the last read.
    expect(containerStatusText({ ...running, startedAt: null, status: 'Up 2 hours' }, at(H), en)).toBe('Up 2 hours');
    expect(containerStatusText({ ...exited, finishedAt: undefined }, at(H), en)).toBe('Exited (0) Less than a second ago');
    // A clock slightly behind the engine's never shows a negative age.
    expect(containerStatusText(running, at(-3 * S), en)).toBe('Up Less than a second');
  });

  it('speaks Spanish', () => {
    expect(containerStatusText(running, at(5 * M), es)).toBe('En marcha desde hace 5 minutos');
    expect(containerStatusText(exited, at(2 * D + H), es)).toBe('Terminó (0) hace 2 días');
  });
});

describe('humanDuration follows docker ps', () => {
  it('rounds like go-units', () => {
    expect(humanDuration(59 * S, en)).toBe('59 seconds');
    expect(humanDuration(59 * M, en)).toBe('59 minutes');
    expect(humanDuration(47 * H, en)).toBe('47 hours');
    expect(humanDuration(13 * D, en)).toBe('13 days');
    expect(humanDuration(3 * 7 * D, en)).toBe('3 weeks');
    expect(humanDuration(90 * D, en)).toBe('3 months');
    expect(humanDuration(800 * D, en)).toBe('2 years');
  });
});
