/**
 * The Cairn embed's public contract, for TypeScript: `window.cairn(...)` and its commands, the
 * `cairn:*` events on `window` and their `detail`. Served beside the loader as
 * `https://YOUR-CAIRN-HOST/cairn.d.ts`; see the README, "Embedding".
 *
 * Use it as a global declaration: `/// <reference path="./cairn.d.ts" />` (or list the file in
 * your tsconfig's `files`). Additions only: a field may be added, none is removed or retyped.
 */

export {};

declare global {
  namespace Cairn {
    /** The tier of a milestone: it sizes the confetti and picks the call to action. */
    type Tier = "early" | "mid" | "advanced" | (string & {});
    type Kind = "usage" | "value" | "team" | "time" | "streak" | "adoption" | "custom";
    type Scope = "user" | "account";
    type Channel = "confetti" | "badge" | "email" | "csm_alert" | "outreach";
    type CtaKind = "next_feature" | "referral" | "review" | "upgrade" | "advisory_board" | "case_study";

    interface Badge {
      /** A glyph name (`medal`, `trophy`, …) or a short text drawn on the default medal. */
      icon?: string | null;
      /** Your own badge image (a URL). */
      image?: string | null;
      /** Alt text, always present. */
      alt: string;
    }

    interface Cta {
      kind: CtaKind;
      label: string;
      url?: string | null;
    }

    /** A milestone reached: what `cairn:award` carries and `cairn("on", "award", fn)` receives. */
    interface Award {
      id: string;
      /** The milestone's key in your definitions, e.g. `projects.10`. */
      milestone: string;
      kind: Kind;
      tier: Tier;
      scope: Scope;
      title: string;
      description?: string;
      badge: Badge;
      channels: Channel[];
      cta?: Cta;
      /** When it was reached, as `Date.prototype.toISOString()` writes it. */
      achieved_at: string;
      /** The counter's value when it was reached. */
      value: number;
      /** Whether it is celebrated (false for the holdout group). */
      celebrate: boolean;
      /** Whether the user has seen it celebrated (on any device). */
      seen: boolean;
    }

    /** `detail` of `cairn:track`: one event counted. */
    interface Tracked {
      metric: string;
      total: number;
      /** The same event (idempotency key) was counted before: not counted again. */
      duplicate: boolean;
      awards: Award[];
    }

    /** `detail` of `cairn:share`. */
    interface Shared {
      award: Award;
      channel: "native" | "copy" | "x" | "linkedin";
      message: string;
    }

    /** `detail` of `cairn:cta` (cancelable: `preventDefault()` to handle it yourself). */
    interface CtaChosen {
      award: Award;
      cta: Cta;
    }

    type Theme = "light" | "dark" | "auto";
    type Corner = "bottom-end" | "bottom-start" | "top-end" | "top-start";

    /** `cairn("configure", {confetti})`: overrides of the burst's defaults (README, "Confetti"). */
    interface Confetti {
      /** Pieces per origin, 1 to 2,000 (default 150). */
      particles?: number;
      /** Degrees around straight up, 1 to 360 (default 70). */
      spread?: number;
      /** Launch speed in CSS pixels per second, 50 to 5,000 (default 900). */
      velocity?: number;
      /** Pixels per second² downwards, −5,000 to 10,000 (default 1,400). */
      gravity?: number;
      /** Share of speed kept per second (air drag), 0.01 to 1 (default 0.35). */
      decay?: number;
      /** Seconds a piece lives, 0.2 to 15 (default 2.8). */
      duration?: number;
      /** CSS colours. */
      colors?: string[];
      /** `square`, `circle`, a short text (emoji) or an image URL. */
      shapes?: string[];
      /** Where bursts start: fractions of the viewport from 0 to 1. */
      origin?: { x: number; y: number };
    }

    interface Configure {
      theme?: Theme;
      corner?: Corner;
      confetti?: Confetti;
    }

    /** `cairn("celebrate", …)`: a preview, shown but never sent or stored. */
    interface Celebrate {
      title: string;
      description?: string;
      tier?: Tier;
      icon?: string;
      image?: string;
      alt?: string;
      cta?: { label: string; url?: string };
    }

    interface Command {
      /** Who the user is: a token your backend signed (HS256, see the README). */
      (command: "identify", options: { token: string }): void;
      /** One event; `value` (a positive integer) defaults to 1. */
      (command: "track", metric: string, options?: { value?: number }): void;
      /** `fn` is called for each celebration. */
      (command: "on", event: "award", fn: (award: Award) => void): void;
      (command: "open", what: "shelf"): void;
      /** Closes the shelf or the share card. */
      (command: "close"): void;
      (command: "configure", options: Configure): void;
      (command: "celebrate", options: Celebrate): void;
      /** Stops the widget and removes all it added to the page (e.g. on sign-out). */
      (command: "shutdown"): void;
    }

    /** The stub's queue of calls made before the widget loaded. */
    interface Queue extends Command {
      q?: IArguments[];
    }
  }

  interface Window {
    cairn: Cairn.Queue;
  }

  var cairn: Cairn.Queue;

  interface WindowEventMap {
    /** The widget has loaded and replayed the queue. */
    "cairn:ready": CustomEvent<null>;
    /** The real-time stream is open. */
    "cairn:connected": Event;
    "cairn:track": CustomEvent<Cairn.Tracked>;
    /** A milestone is being celebrated. */
    "cairn:award": CustomEvent<Cairn.Award>;
    "cairn:share": CustomEvent<Cairn.Shared>;
    /** Cancelable. */
    "cairn:cta": CustomEvent<Cairn.CtaChosen>;
    /** Tracking failed: the message. */
    "cairn:error": CustomEvent<string>;
    /** `cairn("shutdown")` finished. */
    "cairn:shutdown": CustomEvent<null>;
  }
}
