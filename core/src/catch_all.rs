//! The catch-all listener families socket.io gives both its server and its client
//! sockets (`onAny`, `prependAny`, `offAny`, `listenersAny` and their outgoing twins),
//! written once for both. A socket using it has `any` and `any_outgoing` lists of
//! `AnyHandler` behind its `listeners()` / `read_listeners()`.

/// Expands to the catch-all methods inside a socket's `impl` block.
macro_rules! catch_all_families {
    () => {
        /// Registers a catch-all listener for incoming events (`onAny`).
        pub fn on_any(&self, f: impl Fn(&Socket, &str, &[Value]) + Send + Sync + 'static) {
            self.listeners().any.push(Arc::new(f));
        }

        /// Registers a catch-all listener for incoming events, run before those already
        /// registered (`prependAny`).
        pub fn prepend_any(&self, f: impl Fn(&Socket, &str, &[Value]) + Send + Sync + 'static) {
            self.listeners().any.insert(0, Arc::new(f));
        }

        /// Removes every incoming catch-all listener (`offAny()`).
        pub fn off_any(&self) {
            self.listeners().any.clear();
        }

        /// Removes one incoming catch-all listener, as [`Socket::listeners_any`] gave it
        /// (`offAny(fn)`).
        pub fn off_any_listener(&self, f: &AnyHandler) {
            self.listeners().any.retain(|l| !Arc::ptr_eq(l, f));
        }

        /// The incoming catch-all listeners, in the order they run (`listenersAny()`).
        pub fn listeners_any(&self) -> Vec<AnyHandler> {
            self.read_listeners(|l| l.any.to_vec())
        }

        /// Registers a catch-all listener for outgoing events (`onAnyOutgoing`).
        pub fn on_any_outgoing(&self, f: impl Fn(&Socket, &str, &[Value]) + Send + Sync + 'static) {
            self.listeners().any_outgoing.push(Arc::new(f));
        }

        /// Registers a catch-all listener for outgoing events, run before those already
        /// registered (`prependAnyOutgoing`).
        pub fn prepend_any_outgoing(&self, f: impl Fn(&Socket, &str, &[Value]) + Send + Sync + 'static) {
            self.listeners().any_outgoing.insert(0, Arc::new(f));
        }

        /// Removes every outgoing catch-all listener (`offAnyOutgoing()`).
        pub fn off_any_outgoing(&self) {
            self.listeners().any_outgoing.clear();
        }

        /// Removes one outgoing catch-all listener (`offAnyOutgoing(fn)`).
        pub fn off_any_outgoing_listener(&self, f: &AnyHandler) {
            self.listeners().any_outgoing.retain(|l| !Arc::ptr_eq(l, f));
        }

        /// The outgoing catch-all listeners, in the order they run (`listenersAnyOutgoing()`).
        pub fn listeners_any_outgoing(&self) -> Vec<AnyHandler> {
            self.read_listeners(|l| l.any_outgoing.to_vec())
        }
    };
}

pub(crate) use catch_all_families;
