//! The render cache: encoded replies kept in memory, bounded by bytes, keyed
//! by everything that decides their pixels, with single-flight rendering and
//! exact invalidation.
//!
//! A key is the canonical merged request plus the object and the version of
//! its record, so a changed record can never reach an old entry. Each entry
//! also lists the catalog asset ids it was made from (its record, the owner,
//! every `src=`/`mask=`/`template=` record); a catalog write calls
//! [`RenderCache::invalidate`] with the ids it touched and every dependent
//! entry is dropped at once, freeing its memory. Identical requests that
//! arrive while one is rendering wait for that render instead of starting
//! their own. This module knows nothing of catalogs, HTTP or pixels.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use bytes::Bytes;
use tokio::sync::oneshot;

/// An encoded reply, ready to send.
#[derive(Clone, Debug)]
pub struct CachedReply {
    pub body: Bytes,
    pub content_type: &'static str,
    /// `"…"`: the quoted MD5 of the body (§6.1).
    pub etag: String,
    /// The newest change of any record it was made from.
    pub last_modified: SystemTime,
    /// Catalog asset ids it depends on.
    pub deps: Vec<i64>,
}

impl CachedReply {
    pub fn new(
        body: Bytes,
        content_type: &'static str,
        last_modified: SystemTime,
        deps: Vec<i64>,
    ) -> CachedReply {
        use md5::{Digest, Md5};
        let digest = Md5::digest(&body);
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        CachedReply {
            body,
            content_type,
            etag: format!("\"{hex}\""),
            last_modified,
            deps,
        }
    }

    fn cost(&self) -> u64 {
        self.body.len() as u64 + 256
    }
}

/// How a reply was obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Found in the cache.
    Hit,
    /// Rendered by this request.
    Rendered,
    /// Rendered by an identical request this one waited for.
    Joined,
}

struct Entry {
    reply: Arc<CachedReply>,
    tick: u64,
}

type Waiters<E> = Vec<oneshot::Sender<Result<Arc<CachedReply>, E>>>;

struct Inner<E> {
    entries: HashMap<String, Entry>,
    /// Recency: tick → key, oldest first.
    recency: BTreeMap<u64, String>,
    by_dep: HashMap<i64, HashSet<String>>,
    flights: HashMap<String, Waiters<E>>,
    tick: u64,
    bytes: u64,
}

/// What the cache holds, for metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub bytes: u64,
    pub entries: u64,
    /// Entries dropped to stay within the budget since the last call.
    pub evicted: u64,
}

/// A byte-bounded LRU of rendered replies with single-flight rendering.
pub struct RenderCache<E: Clone + Send + 'static> {
    budget: u64,
    inner: Mutex<Inner<E>>,
    evicted: std::sync::atomic::AtomicU64,
}

impl<E: Clone + Send + 'static> RenderCache<E> {
    /// A cache holding at most `budget` bytes of replies.
    pub fn new(budget: u64) -> RenderCache<E> {
        RenderCache {
            budget,
            inner: Mutex::new(Inner {
                entries: HashMap::new(),
                recency: BTreeMap::new(),
                by_dep: HashMap::new(),
                flights: HashMap::new(),
                tick: 0,
                bytes: 0,
            }),
            evicted: std::sync::atomic::AtomicU64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner<E>> {
        // Every critical section leaves the maps consistent, so a poisoned
        // lock (a panic elsewhere while holding it) is safe to reuse.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Looks a key up, refreshing its recency.
    pub fn get(&self, key: &str) -> Option<Arc<CachedReply>> {
        let mut inner = self.lock();
        inner.tick += 1;
        let tick = inner.tick;
        let old = {
            let entry = inner.entries.get_mut(key)?;
            let old = entry.tick;
            entry.tick = tick;
            (old, Arc::clone(&entry.reply))
        };
        inner.recency.remove(&old.0);
        inner.recency.insert(tick, key.to_owned());
        Some(old.1)
    }

    /// Stores a reply, evicting the least recently used to stay in budget.
    /// Replies larger than an eighth of the budget are not kept.
    pub fn insert(&self, key: &str, reply: Arc<CachedReply>) {
        let cost = reply.cost();
        if cost > self.budget / 8 {
            return;
        }
        let mut inner = self.lock();
        remove_entry(&mut inner, key);
        inner.tick += 1;
        let tick = inner.tick;
        for dep in &reply.deps {
            inner.by_dep.entry(*dep).or_default().insert(key.to_owned());
        }
        inner.recency.insert(tick, key.to_owned());
        inner.bytes += cost;
        inner.entries.insert(key.to_owned(), Entry { reply, tick });
        let mut evicted = 0;
        while inner.bytes > self.budget {
            let Some((_, oldest)) = inner.recency.pop_first() else {
                break;
            };
            remove_entry(&mut inner, &oldest);
            evicted += 1;
        }
        self.evicted
            .fetch_add(evicted, std::sync::atomic::Ordering::Relaxed);
    }

    /// Drops every entry made from any of these asset ids; returns how many.
    pub fn invalidate(&self, ids: &[i64]) -> usize {
        let mut inner = self.lock();
        let mut keys = HashSet::new();
        for id in ids {
            if let Some(set) = inner.by_dep.remove(id) {
                keys.extend(set);
            }
        }
        for key in &keys {
            remove_entry(&mut inner, key);
        }
        keys.len()
    }

    /// Empties the cache.
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.entries.clear();
        inner.recency.clear();
        inner.by_dep.clear();
        inner.bytes = 0;
    }

    pub fn stats(&self) -> CacheStats {
        let inner = self.lock();
        CacheStats {
            bytes: inner.bytes,
            entries: inner.entries.len() as u64,
            evicted: self.evicted.swap(0, std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// The cached reply for `key`, or the one `render` produces; identical
    /// keys render once while others wait. With `store` false the result is
    /// not kept (`cache=off`), and with `refresh` an existing entry is
    /// replaced by a new render (`cache=update`).
    pub async fn get_or_render<F, Fut>(
        &self,
        key: &str,
        store: bool,
        refresh: bool,
        render: F,
    ) -> Result<(Arc<CachedReply>, Outcome), E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<CachedReply, E>>,
    {
        if store && !refresh {
            if let Some(reply) = self.get(key) {
                return Ok((reply, Outcome::Hit));
            }
        }
        // Join a render in flight, or lead one.
        let waiter = {
            let mut inner = self.lock();
            match inner.flights.get_mut(key) {
                Some(waiters) if !refresh => {
                    let (tx, rx) = oneshot::channel();
                    waiters.push(tx);
                    Some(rx)
                }
                _ => {
                    inner.flights.insert(key.to_owned(), Vec::new());
                    None
                }
            }
        };
        if let Some(rx) = waiter {
            if let Ok(result) = rx.await {
                return result.map(|reply| (reply, Outcome::Joined));
            }
            // The leader vanished (its task was cancelled): render ourselves.
            return render().await.map(|r| (Arc::new(r), Outcome::Rendered));
        }
        // Whatever happens to this future, the flight must end so waiters
        // do not hang: the guard hands them a result or closes their channels.
        let mut guard = FlightGuard {
            cache: self,
            key,
            done: false,
        };
        let result = render().await.map(Arc::new);
        if let (true, Ok(reply)) = (store, &result) {
            self.insert(key, Arc::clone(reply));
        }
        let waiters = self.lock().flights.remove(key).unwrap_or_default();
        guard.done = true;
        for tx in waiters {
            let _ = tx.send(result.clone());
        }
        result.map(|reply| (reply, Outcome::Rendered))
    }
}

/// Ends a flight whose leader was dropped before finishing.
struct FlightGuard<'a, E: Clone + Send + 'static> {
    cache: &'a RenderCache<E>,
    key: &'a str,
    done: bool,
}

impl<E: Clone + Send + 'static> Drop for FlightGuard<'_, E> {
    fn drop(&mut self) {
        if !self.done {
            // Dropping the senders wakes the waiters, who render themselves.
            self.cache.lock().flights.remove(self.key);
        }
    }
}

fn remove_entry<E>(inner: &mut Inner<E>, key: &str) {
    if let Some(entry) = inner.entries.remove(key) {
        inner.recency.remove(&entry.tick);
        inner.bytes = inner.bytes.saturating_sub(entry.reply.cost());
        for dep in &entry.reply.deps {
            if let Some(set) = inner.by_dep.get_mut(dep) {
                set.remove(key);
                if set.is_empty() {
                    inner.by_dep.remove(dep);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn reply(n: usize, deps: Vec<i64>) -> CachedReply {
        CachedReply::new(
            Bytes::from(vec![7u8; n]),
            "image/jpeg",
            SystemTime::UNIX_EPOCH,
            deps,
        )
    }

    #[test]
    fn etag_is_the_quoted_md5() {
        let r = CachedReply::new(Bytes::from_static(b""), "x", SystemTime::UNIX_EPOCH, vec![]);
        assert_eq!(r.etag, "\"d41d8cd98f00b204e9800998ecf8427e\"");
    }

    #[test]
    fn evicts_least_recently_used_within_budget() {
        let cache: RenderCache<String> = RenderCache::new(8 * 1300);
        cache.insert("a", Arc::new(reply(1000, vec![1])));
        cache.insert("b", Arc::new(reply(1000, vec![2])));
        assert!(cache.get("a").is_some());
        for i in 0..8 {
            cache.insert(&format!("k{i}"), Arc::new(reply(1000, vec![])));
        }
        assert!(cache.get("a").is_none() || cache.get("b").is_none());
        assert!(cache.stats().bytes <= 8 * 1300);
    }

    #[test]
    fn invalidation_drops_dependants_only() {
        let cache: RenderCache<String> = RenderCache::new(1 << 20);
        cache.insert("a", Arc::new(reply(10, vec![1, 2])));
        cache.insert("b", Arc::new(reply(10, vec![2])));
        cache.insert("c", Arc::new(reply(10, vec![3])));
        assert_eq!(cache.invalidate(&[2]), 2);
        assert!(cache.get("a").is_none() && cache.get("b").is_none());
        assert!(cache.get("c").is_some());
        assert_eq!(cache.stats().entries, 1);
    }

    #[tokio::test]
    async fn identical_requests_render_once() {
        let cache: Arc<RenderCache<String>> = Arc::new(RenderCache::new(1 << 20));
        let renders = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let cache = Arc::clone(&cache);
            let renders = Arc::clone(&renders);
            tasks.push(tokio::spawn(async move {
                cache
                    .get_or_render("k", true, false, || async move {
                        renders.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        Ok(reply(10, vec![]))
                    })
                    .await
            }));
        }
        for t in tasks {
            assert!(t.await.unwrap().is_ok());
        }
        assert_eq!(renders.load(Ordering::SeqCst), 1);
    }
}
