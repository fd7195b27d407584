//! Typed extra attributes on a socket (`socket.user = ...` in the reference API).
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::Mutex;

/// A map from type to value: one value of each type per socket.
#[derive(Default)]
pub struct Extensions {
    map: Mutex<HashMap<TypeId, Box<dyn Any + Send + Sync>>>,
}

impl Extensions {
    /// Stores `value`, returning the previous value of that type.
    pub fn insert<T: Any + Send + Sync + Clone>(&self, value: T) -> Option<T> {
        self.lock().insert(TypeId::of::<T>(), Box::new(value)).and_then(|b| b.downcast::<T>().ok()).map(|b| *b)
    }

    /// A copy of the value of type `T`.
    pub fn get<T: Any + Send + Sync + Clone>(&self) -> Option<T> {
        self.lock().get(&TypeId::of::<T>()).and_then(|b| b.downcast_ref::<T>()).cloned()
    }

    /// Removes the value of type `T`.
    pub fn remove<T: Any + Send + Sync + Clone>(&self) -> Option<T> {
        self.lock().remove(&TypeId::of::<T>()).and_then(|b| b.downcast::<T>().ok()).map(|b| *b)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TypeId, Box<dyn Any + Send + Sync>>> {
        self.map.lock().expect("extensions lock poisoned")
    }
}

impl std::fmt::Debug for Extensions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Extensions").field("len", &self.lock().len()).finish()
    }
}
