use std::cell::Cell;

use cairn_widget::convert::FromJs;
use cairn_widget::dom::{get, get_string, warn};
use cairn_widget::logic::{CardStrings, PublicShare, Strings};
use cairn_widget::view::{CARD_STYLES, Publish, Ui, share_card};
use cairn_wire::AwardView;
use js_sys::{Array, Function};
use reactive_graph::owner::Owner;
use reactive_graph::prelude::*;
use reactive_graph::signal::RwSignal;
use wasm_bindgen::prelude::*;
use web_sys::{CssStyleSheet, Element, ShadowRoot};

/// Builds the share card in `root` (closed) and returns the function that tells it what to
/// show (see the crate's documentation). `share_url` is the link shared until the badge is
/// public.
#[wasm_bindgen]
pub fn card(root: Element, share_url: String, publish: Function, close: Function) -> Function {
    // Effects re-run on Leptos' executor: here the browser's microtasks.
    let _ = any_spawner::Executor::init_wasm_bindgen();
    // Everything under one owner: `"stop"` disposes the signals with the bindings.
    let owner = Owner::new();
    let (ui, words) = owner.with(|| {
        let ui = Ui::new(Strings::for_locale("en"), false);
        (ui, RwSignal::new(CardStrings::for_locale("en")))
    });
    ui.set_publisher(move |intent| {
        let args = match intent {
            Publish::Make {
                award_id,
                message,
                name,
            } => ["make".into(), award_id, message, name],
            Publish::Revoke { share_id } => {
                ["revoke".into(), share_id, String::new(), String::new()]
            }
            Publish::Cta { .. } => return,
        };
        let args: Array = args.iter().map(|a| JsValue::from_str(a)).collect();
        let _ = publish.call1(&JsValue::NULL, &args);
    });
    let dialog = owner.with(|| {
        // Closed by the user (Escape, ×) while it showed an award: the widget is told. Closed
        // because the widget said so (no award): nothing to tell.
        share_card(ui, words, share_url, move || {
            if ui.sharing.with_untracked(Option::is_some) {
                ui.sharing.set(None);
                let _ = close.call0(&JsValue::NULL);
            }
        })
    });
    let _ = root.append_child(&dialog.0);
    let dialog = dialog.0;
    let styles = adopt_styles(&root);
    let stopped = Cell::new(false);
    Closure::<dyn Fn(JsValue)>::new(move |state: JsValue| {
        if stopped.get() {
            return;
        }
        if state.as_string().as_deref() == Some("stop") {
            stopped.set(true);
            owner.cleanup();
            dialog.remove();
            if let Some((shadow, sheet)) = &styles {
                let kept = shadow
                    .adopted_style_sheets()
                    .filter(&mut |s, _, _| &s != AsRef::<JsValue>::as_ref(sheet));
                shadow.set_adopted_style_sheets(&kept);
            }
            return;
        }
        show(ui, words, &state);
    })
    .into_js_value()
    .unchecked_into()
}

/// Adds the card's own styles ([`CARD_STYLES`]) to the shadow root `root` is in, after the
/// widget's: a constructable stylesheet, as the widget's are (no `<style>` for a host's CSP to
/// block).
fn adopt_styles(root: &Element) -> Option<(ShadowRoot, CssStyleSheet)> {
    let shadow: ShadowRoot = root.get_root_node().dyn_into().ok()?;
    let sheet = CssStyleSheet::new().ok()?;
    sheet.replace_sync(CARD_STYLES).ok()?;
    let sheets = shadow.adopted_style_sheets();
    sheets.push(&sheet);
    shadow.set_adopted_style_sheets(&sheets);
    Some((shadow, sheet))
}

/// Sets what changed in `state`. Unchanged parts are not set again: the same award told
/// again (a publish starting or ending) keeps the message the user is writing.
fn show(ui: Ui, words: RwSignal<&'static CardStrings>, state: &JsValue) {
    let award = match get(state, "award").map(|a| AwardView::read(&a)).transpose() {
        Ok(award) => award,
        Err(e) => {
            warn(&["cairn: the share card was told an unreadable award: ", &e].concat());
            return;
        }
    };
    let public = get(state, "public")
        .and_then(|p| PublicShare::read(&p).ok())
        .into_iter()
        .collect::<Vec<_>>();
    let lang = get_string(state, "lang").unwrap_or_default();
    let strings = Strings::for_locale(&lang);
    if !std::ptr::eq(ui.strings.get_untracked(), strings) {
        ui.strings.set(strings);
        words.set(CardStrings::for_locale(&lang));
    }
    if ui.public.with_untracked(|p| *p != public) {
        ui.public.set(public);
    }
    for (signal, field) in [(ui.share_busy, "busy"), (ui.share_failed, "failed")] {
        let value = get(state, field).and_then(|v| v.as_bool()).unwrap_or(false);
        if signal.get_untracked() != value {
            signal.set(value);
        }
    }
    if ui.sharing.with_untracked(|a| *a != award) {
        ui.sharing.set(award);
    }
}
