import { browser } from '$app/environment';

export type ThemeMode = 'light' | 'dark';
const STORAGE_KEY = 'mirador.theme';

function saved(): ThemeMode | null {
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    return v === 'light' || v === 'dark' ? v : null;
  } catch {
    return null;
  }
}

function system(): ThemeMode {
  return window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

class Theme {
  mode = $state<ThemeMode>('light');
  /** True once the user picked a theme; until then we follow the OS. */
  explicit = $state(false);

  constructor() {
    if (!browser) return;
    const s = saved();
    this.explicit = s !== null;
    this.mode = s ?? system();
    this.#apply();
    window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
      if (!this.explicit) {
        this.mode = system();
        this.#apply();
      }
    });
  }

  set(mode: ThemeMode) {
    this.mode = mode;
    this.explicit = true;
    try {
      localStorage.setItem(STORAGE_KEY, mode);
    } catch {
      /* storage disabled */
    }
    this.#apply();
  }

  /** Forget the explicit choice and follow the OS again. */
  followSystem() {
    this.explicit = false;
    try {
      localStorage.removeItem(STORAGE_KEY);
    } catch {
      /* storage disabled */
    }
    this.mode = system();
    this.#apply();
  }

  toggle() {
    this.set(this.mode === 'dark' ? 'light' : 'dark');
  }

  #apply() {
    document.documentElement.classList.toggle('dark', this.mode === 'dark');
  }
}

export const theme = new Theme();
