//! The floating layer's Leptos components. Thin: they render signals owned by [`crate::Widget`].

use leptos::prelude::*;

/// One badge toast on screen.
#[derive(Debug, Clone, PartialEq)]
pub struct Toast {
    /// Local id, for keyed rendering and dismissal.
    pub id: u64,
    /// The milestone's title, e.g. "First project!".
    pub title: String,
    /// One line under the title.
    pub caption: String,
}

/// The toast stack, announced to screen readers through a polite live region.
#[component]
pub fn Toasts(
    /// The toasts to show, oldest first.
    toasts: RwSignal<Vec<Toast>>,
) -> impl IntoView {
    view! {
        <div class="toasts" role="status" aria-live="polite" part="toasts">
            <For each=move || toasts.get() key=|t| t.id let:toast>
                <div class="toast" part="toast" data-toast-id=toast.id>
                    <Medal />
                    <div class="text">
                        <strong class="title">{toast.title.clone()}</strong>
                        <span class="caption">{toast.caption.clone()}</span>
                    </div>
                    <button
                        class="dismiss"
                        type="button"
                        aria-label="Dismiss"
                        on:click=move |_| toasts.update(|ts| ts.retain(|t| t.id != toast.id))
                    >
                        "×"
                    </button>
                </div>
            </For>
        </div>
    }
}

/// The default badge art: a medal in the accent colour.
#[component]
fn Medal() -> impl IntoView {
    view! {
        <svg class="badge" part="badge" viewBox="0 0 32 32" width="32" height="32" aria-hidden="true">
            <path d="M9 2h5l3 8h-5zM23 2h-5l-3 8h5z" fill="var(--cairn-ribbon, #ff5e7e)" />
            <circle cx="16" cy="19" r="10" fill="var(--cairn-accent, #6d4aff)" />
            <circle cx="16" cy="19" r="7" fill="none" stroke="#fff" stroke-opacity=".5" stroke-width="1.5" />
            <path d="M16 14.2l1.5 3 3.3.5-2.4 2.3.6 3.3-3-1.6-3 1.6.6-3.3-2.4-2.3 3.3-.5z" fill="#fff" />
        </svg>
    }
}

/// Styles of the floating layer. Every colour, radius and font is a `--cairn-*` custom property
/// the host page may set; nothing else from the host reaches inside the shadow root.
pub const STYLES: &str = r#"
:host { all: initial; }
.confetti { position: fixed; inset: 0; width: 100vw; height: 100vh; pointer-events: none; z-index: 2147483647; }
.toasts {
  position: fixed; z-index: 2147483646; display: flex; flex-direction: column; gap: 8px;
  right: max(16px, env(safe-area-inset-right)); bottom: max(16px, env(safe-area-inset-bottom));
  font: var(--cairn-font, 500 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif);
}
.toast {
  display: flex; align-items: center; gap: 12px; min-width: 240px; max-width: 360px;
  padding: 12px 14px; border-radius: var(--cairn-radius, 12px);
  background: var(--cairn-surface, #ffffff); color: var(--cairn-text, #1d1d1f);
  box-shadow: var(--cairn-shadow, 0 8px 30px rgba(0, 0, 0, .18));
  border-left: 4px solid var(--cairn-accent, #6d4aff);
  animation: cairn-in .35s cubic-bezier(.2, .9, .3, 1.2);
}
.badge { flex: none; width: 32px; height: 32px; }
.text { display: flex; flex-direction: column; flex: 1; }
.title { font-weight: 700; font-size: 15px; }
.caption { opacity: .7; font-size: 12px; }
.dismiss {
  all: unset; cursor: pointer; font-size: 18px; line-height: 1; padding: 4px 6px; border-radius: 6px;
  color: inherit; opacity: .6;
}
.dismiss:hover, .dismiss:focus-visible { opacity: 1; outline: 2px solid var(--cairn-accent, #6d4aff); }
@keyframes cairn-in { from { transform: translateY(12px) scale(.96); opacity: 0; } }
@media (prefers-reduced-motion: reduce) { .toast { animation: none; } }
"#;
