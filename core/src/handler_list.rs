//! A socket's list of handlers of one kind: read on every packet (taken out of the
//! socket's lock, so that a handler may add another), changed rarely. Taking it is a
//! reference count, not a copy of the list; a change copies it once. Empty, it holds no
//! allocation (most lists of most sockets stay empty).
use std::sync::Arc;

pub(crate) struct HandlerList<T>(Option<Arc<[T]>>);

impl<T> Default for HandlerList<T> {
    fn default() -> Self {
        HandlerList(None)
    }
}

impl<T> Clone for HandlerList<T> {
    fn clone(&self) -> Self {
        HandlerList(self.0.clone())
    }
}

impl<T: Clone> HandlerList<T> {
    pub(crate) fn as_slice(&self) -> &[T] {
        self.0.as_deref().unwrap_or(&[])
    }

    pub(crate) fn to_vec(&self) -> Vec<T> {
        self.as_slice().to_vec()
    }

    pub(crate) fn push(&mut self, handler: T) {
        self.change(|v| v.push(handler));
    }

    pub(crate) fn insert(&mut self, index: usize, handler: T) {
        self.change(|v| v.insert(index, handler));
    }

    pub(crate) fn clear(&mut self) {
        self.0 = None;
    }

    pub(crate) fn retain(&mut self, keep: impl FnMut(&T) -> bool) {
        self.change(|v| v.retain(keep));
    }

    fn change(&mut self, f: impl FnOnce(&mut Vec<T>)) {
        let mut v = self.to_vec();
        f(&mut v);
        self.0 = (!v.is_empty()).then(|| v.into());
    }
}

impl<'a, T: Clone> IntoIterator for &'a HandlerList<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_taken_list_keeps_what_it_had_while_the_socket_changes_its_own() {
        let mut list = HandlerList::default();
        assert!(list.0.is_none(), "empty: no allocation");
        list.push(1);
        list.push(3);
        list.insert(1, 2);
        let taken = list.clone();
        list.retain(|&x| x != 2);
        assert_eq!(taken.as_slice(), &[1, 2, 3]);
        assert_eq!(list.as_slice(), &[1, 3]);
        list.clear();
        assert!(list.0.is_none() && list.as_slice().is_empty());
        list.push(4);
        list.retain(|_| false);
        assert!(list.0.is_none(), "emptied: the allocation is dropped");
    }
}
