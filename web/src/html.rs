//! The components' DOM builder: elements made with the DOM's own calls and kept in step with
//! Leptos signals by render effects.
//!
//! Why not `view!`: tachys (Leptos' renderer) types every view tree, so each element, attribute
//! tuple and closure of ours becomes its own build/rebuild code. For the widget's six
//! components that was 38 KB of the 96.7 KB brotli it weighed, more than the whole budget left
//! after the rest. Here every method is compiled once: a component is a run of DOM calls, and
//! what changes is bound by a [`RenderEffect`] (Leptos' reactive system, the same one tachys
//! binds with), which runs at once and again whenever a signal it reads changes.
//!
//! Ownership follows Leptos: effects and event listeners belong to the reactive [`Owner`] a
//! view is built under and go away when it is cleaned up, so a toast that leaves or a region
//! that re-renders takes its bindings with it.

use std::any::Any;
use std::cell::RefCell;

use reactive_graph::effect::RenderEffect;
use reactive_graph::owner::Owner;
use slotmap::{DefaultKey, SlotMap};
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{Element, Event, Node};

use crate::dom::document;

/// An element being built. Each method consumes and returns it, so a view reads as a tree:
/// `el("div").class("row").child(el("span").text("…"))`.
pub struct El(pub Element);

/// A new `<tag>` element.
pub fn el(tag: &str) -> El {
    El(document().create_element(tag).expect("a valid tag name"))
}

/// An event listener, removed from its element when dropped (so the element never calls a
/// function that is gone).
struct Listener {
    target: Element,
    event: &'static str,
    f: Closure<dyn FnMut(Event)>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self
            .target
            .remove_event_listener_with_callback(self.event, self.f.as_ref().unchecked_ref());
    }
}

thread_local! {
    /// What views keep alive (render effects, listeners), each until its owner is cleaned up.
    /// An owner's cleanups must be `Send`, which an effect or a closure is not; they hold only
    /// a key to this map. (A `SendWrapper` would do it too, but it asks for the thread's id, and
    /// `std` builds that with its own allocator, which kept a second allocator in the wasm.)
    static KEPT: RefCell<SlotMap<DefaultKey, Box<dyn Any>>> = RefCell::new(SlotMap::new());
}

/// Keeps `value` alive until the current reactive owner is cleaned up.
fn keep<T: 'static>(value: T) {
    debug_assert!(Owner::current().is_some(), "views are built under an owner");
    let key = KEPT.with(|kept| kept.borrow_mut().insert(Box::new(value)));
    Owner::on_cleanup(move || {
        // Taken out first and dropped after: dropping an effect cleans up what it built,
        // which may keep or release values of its own.
        let value = KEPT.with(|kept| kept.borrow_mut().remove(key));
        drop(value);
    });
}

/// How many values views keep alive now: back where it was once their owners are cleaned up
/// (checked by the browser tests).
pub fn kept() -> usize {
    KEPT.with(|kept| kept.borrow().len())
}

/// Runs `f` now and again whenever a signal it reads changes, for as long as the current owner
/// lives.
pub fn effect(mut f: impl FnMut() + 'static) {
    keep(RenderEffect::new(move |_: Option<()>| f()));
}

impl El {
    pub fn attr(self, name: &str, value: &str) -> Self {
        let _ = self.0.set_attribute(name, value);
        self
    }

    pub fn class(self, value: &str) -> Self {
        self.attr("class", value)
    }

    /// The `part` name the host page styles with `::part()`.
    pub fn part(self, value: &str) -> Self {
        self.attr("part", value)
    }

    /// Appends a text node.
    pub fn text(self, text: &str) -> Self {
        let _ = self.0.append_with_str_1(text);
        self
    }

    pub fn child(self, child: El) -> Self {
        let _ = self.0.append_child(&child.0);
        self
    }

    pub fn child_opt(self, child: Option<El>) -> Self {
        match child {
            Some(child) => self.child(child),
            None => self,
        }
    }

    /// Listens to `event` for as long as the current owner lives.
    pub fn on(self, event: &'static str, f: impl FnMut(Event) + 'static) -> Self {
        self.listen(event, Box::new(f))
    }

    fn listen(self, event: &'static str, f: Box<dyn FnMut(Event)>) -> Self {
        let listener = Listener {
            target: self.0.clone(),
            event,
            f: Closure::wrap(f),
        };
        let _ = listener
            .target
            .add_event_listener_with_callback(event, listener.f.as_ref().unchecked_ref());
        keep(listener);
        self
    }

    /// Appends a text node that follows `text`.
    pub fn text_with(self, text: impl Fn() -> String + 'static) -> Self {
        self.bound_text(Box::new(text))
    }

    fn bound_text(self, text: Box<dyn Fn() -> String>) -> Self {
        let node = document().create_text_node("");
        let _ = self.0.append_child(&node);
        effect(move || node.set_data(&text()));
        self
    }

    /// An attribute that follows `value`; `None` removes it.
    pub fn attr_with(
        self,
        name: &'static str,
        value: impl Fn() -> Option<String> + 'static,
    ) -> Self {
        self.bound_attr(name, Box::new(value))
    }

    fn bound_attr(self, name: &'static str, value: Box<dyn Fn() -> Option<String>>) -> Self {
        let el = self.0.clone();
        effect(move || {
            let _ = match value() {
                Some(v) => el.set_attribute(name, &v),
                None => el.remove_attribute(name),
            };
        });
        self
    }

    /// A child that `view` builds again whenever a signal it reads changes (none for `None`).
    pub fn child_with(self, view: impl Fn() -> Option<El> + 'static) -> Self {
        self.region(Box::new(move || view().into_iter().collect()))
    }

    /// Children that `view` builds again whenever a signal it reads changes.
    pub fn children_with(self, view: impl Fn() -> Vec<El> + 'static) -> Self {
        self.region(Box::new(view))
    }

    /// A run of children between the ones before it and an empty text node that marks its end.
    /// Each build happens under the effect's owner, which Leptos cleans up before the next run:
    /// the old nodes' bindings go with them.
    fn region(self, view: Box<dyn Fn() -> Vec<El>>) -> Self {
        let end: Node = document().create_text_node("").into();
        let _ = self.0.append_child(&end);
        let parent = self.0.clone();
        let shown: RefCell<Vec<Element>> = RefCell::default();
        effect(move || {
            for old in shown.borrow_mut().drain(..) {
                old.remove();
            }
            let new: Vec<Element> = view().into_iter().map(|el| el.0).collect();
            for el in &new {
                let _ = parent.insert_before(el, Some(&end));
            }
            *shown.borrow_mut() = new;
        });
        self
    }
}
