export type Engine = 'chromium' | 'firefox' | 'webkit';
export declare const ENGINES: Engine[];
export declare const CHROMIUM_ARGS: string[];
export declare const FIREFOX_PREFS: Record<string, unknown>;
export declare function findChromium(): string;
export declare function chromiumLaunchOptions(): {
  executablePath: string;
  args: string[];
  headless: boolean;
};
export declare function findFirefox(): string;
export declare function firefoxLaunchOptions(options?: { privateBrowsing?: boolean }): {
  browser: 'firefox';
  executablePath: string;
  headless: boolean;
  extraPrefsFirefox: Record<string, unknown>;
};
export declare function findWebKit(): { driver: string; miniBrowser: string; xvfb: string };
export declare function webkitCapabilities(options?: { ephemeral?: boolean }): {
  'webkitgtk:browserOptions': { binary: string; args: string[] };
};
export declare function freePort(): Promise<number>;
export declare function startWebKitDriver(): Promise<{
  hostname: string;
  port: number;
  display: string;
  stop: () => Promise<void>;
}>;
