//! Query documents already parsed and checked, by their text. Clients send the same few operations over
//! and over (an SPA's are fixed at build time); parsing one cost a small request as much as answering it.
//! A held document has passed the text and expansion limits (`query_limits`); variables are still
//! checked on every request, and the engine still validates each request against the schema.

use std::{num::NonZeroUsize, sync::Mutex};

use async_graphql::parser::types::ExecutableDocument;

/// Documents held at once, and the total length of their texts. A parsed document takes up to about a
/// hundred times its text (a node of 100–200 bytes per token), so 128 KB of text stays near 13 MB at
/// worst; an SPA's operations (a few kilobytes each) fit many times over. Only documents the engine
/// validated are kept, so invalid texts cannot push them out.
const HELD: usize = 1_000;
const TEXT_BUDGET: usize = 128 * 1024;

pub struct Documents {
    held: Mutex<Held>,
}

struct Held {
    documents: lru::LruCache<String, ExecutableDocument>,
    text_bytes: usize,
}

impl Default for Documents {
    fn default() -> Self {
        let documents = lru::LruCache::new(NonZeroUsize::new(HELD).unwrap_or(NonZeroUsize::MIN));
        Self { held: Mutex::new(Held { documents, text_bytes: 0 }) }
    }
}

impl Documents {
    /// A copy of the document parsed from exactly this text.
    pub fn get(&self, text: &str) -> Option<ExecutableDocument> {
        self.lock().documents.get(text).cloned()
    }

    /// Holds a document that passed every check, dropping the least recently used past the budget.
    pub fn put(&self, text: &str, document: &ExecutableDocument) {
        if text.len() > TEXT_BUDGET / 8 {
            return;
        }
        let mut held = self.lock();
        if let Some((old, _)) = held.documents.push(text.to_string(), document.clone()) {
            held.text_bytes -= old.len();
        }
        held.text_bytes += text.len();
        while held.text_bytes > TEXT_BUDGET {
            let Some((old, _)) = held.documents.pop_lru() else { break };
            held.text_bytes -= old.len();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Held> {
        // Entries are replaced whole: a panic while holding the lock leaves nothing half-written.
        self.held.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
