//! Which dynamic namespace a child namespace came from. A face that keeps per-namespace
//! state of its own (handlers registered on a dynamic parent, children listed under it)
//! asks here instead of matching the name again with its own regex engine: the core's
//! matcher decided once, when the first client asked for the name, and a second engine
//! (Python's `re`, JavaScript's `RegExp`) could decide otherwise.
use super::EmbeddedServer;

impl EmbeddedServer {
    /// The pattern (as given to [`EmbeddedServer::namespace_regex`]) of the dynamic
    /// namespace that created namespace `nsp`; `None` for a static namespace, a name no
    /// client has asked for yet, or one no pattern matched.
    pub fn dynamic_parent(&self, nsp: &str) -> Option<String> {
        let dynamic = self.dynamic.lock().expect("namespace lock poisoned");
        dynamic.iter().find_map(|(pattern, parent)| {
            let children = parent.0.children.as_ref()?;
            let children = children.read().expect("namespace lock poisoned");
            children.iter().any(|child| child.name() == nsp).then(|| pattern.clone())
        })
    }
}
