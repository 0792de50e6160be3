//! The menu options an IVR prompt offers, found in its transcript.
//!
//! Transcripts come from speech-to-text: mostly lower case without
//! punctuation, with recognition errors such as "won" for "one", "to" for
//! "two" or "for" for "four". A menu option is a *trigger* — a verb such as
//! "press" or "dial" followed by a key ("press one", "dial the pound key") —
//! and a *label*, said either after the key ("press one for sales") or
//! before the trigger ("for support press 2", "to repeat this menu press
//! star").
//!
//! The word right after the verb is always read as the key, so "press for
//! for sms" is key 4 for "sms" and "press to for support" is key 2 for
//! "support". Elsewhere "for", "four" and "to" introduce a label ("four
//! sales press one" is "sales" on key 1).
//!
//! Which side a label sits on is decided for the whole transcript when the
//! words between two triggers carry no sentence boundary: labels come after
//! their keys unless the prompt opens with a label before its first trigger
//! and nothing labelled follows its last key.

use serde::Serialize;

/// One option of an IVR menu: the key to press and what it leads to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MenuOption {
    /// The key: `'0'..='9'`, `'*'` or `'#'`.
    pub key: char,
    /// What the key leads to, e.g. "sales"; empty when the prompt names a key
    /// without saying what it does.
    pub label: String,
    /// The words the option came from, e.g. "press one for sales".
    pub phrase: String,
}

/// The options a prompt offers, in the order they are said. A key said twice
/// keeps its first label; a prompt without options gives an empty list.
pub fn extract_options(transcript: &str) -> Vec<MenuOption> {
    let tokens = tokenize(transcript);
    let triggers = find_triggers(&tokens);
    if triggers.is_empty() {
        return Vec::new();
    }
    let style = label_style(&tokens, &triggers);
    let mut options: Vec<MenuOption> = Vec::new();
    for index in 0..triggers.len() {
        let option = build_option(&tokens, &triggers, index, style);
        if !options.iter().any(|known| known.key == option.key) {
            options.push(option);
        }
    }
    options
}

/// A word of the transcript, or the end of a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Boundary,
}

impl Token {
    fn word(&self) -> Option<&str> {
        match self {
            Token::Word(text) => Some(text),
            Token::Boundary => None,
        }
    }

    fn is(&self, candidates: &[&str]) -> bool {
        self.word().is_some_and(|text| candidates.contains(&text))
    }
}

/// Lower-cased words; `*` and `#` are words of their own; `.`, `!`, `?` and
/// `;` end a sentence; other punctuation separates words.
fn tokenize(transcript: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    for ch in transcript.chars() {
        if ch.is_alphanumeric() || ch == '\'' {
            current.extend(ch.to_lowercase());
            continue;
        }
        flush_word(&mut current, &mut tokens);
        match ch {
            '*' | '#' => tokens.push(Token::Word(ch.to_string())),
            '.' | '!' | '?' | ';' => tokens.push(Token::Boundary),
            _ => {}
        }
    }
    flush_word(&mut current, &mut tokens);
    tokens
}

fn flush_word(current: &mut String, tokens: &mut Vec<Token>) {
    let word = current.trim_matches('\'');
    if !word.is_empty() {
        tokens.push(Token::Word(word.to_string()));
    }
    current.clear();
}

/// Verbs that put a key right after them.
const TRIGGER_VERBS: &[&str] = &["press", "dial", "select", "push", "hit", "choose", "touch", "enter", "pressed"];

/// Words between a verb and its key that say nothing ("press the pound key",
/// "press number one").
const KEY_PREFIXES: &[&str] = &["the", "number", "key"];

/// Words after a key that belong to it ("the pound key", "the star button").
const KEY_SUFFIXES: &[&str] = &["key", "sign", "button", "symbol"];

/// Words that introduce a label; "four" and "4" are frequent recognitions of
/// "for", "too" of "to".
const LABEL_INTRODUCERS: &[&str] = &["for", "four", "fore", "4", "to", "too"];

/// Words after which a "to" is a preposition ("to a representative"), not the
/// start of what the caller wants to do.
const DETERMINERS: &[&str] = &["a", "an", "the", "your", "our", "my", "this", "that", "one"];

/// Words that end a label said after its key.
const FORWARD_LABEL_STOPS: &[&str] = &["if", "please", "otherwise", "or"];

/// Words trimmed from the end of a label ("sales and", "billing you can").
const TRAILING_FILLERS: &[&str] = &[
    "please", "and", "or", "say", "now", "then", "just", "simply", "you", "can", "may", "should", "will", "need", "to",
    "kindly", "must", "would", "like", "also", "so", "well", "again",
];

/// Words trimmed from the start of a label ("the billing department").
const LEADING_FILLERS: &[&str] = &["the", "a", "an", "our", "your", "please", "you", "are", "you're", "were"];

/// Longest label kept, in words.
const MAX_LABEL_WORDS: usize = 8;

/// A key said after a trigger verb: the position of the verb, the position
/// just past the key (and its suffix), and the key.
#[derive(Debug, Clone, Copy)]
struct Trigger {
    verb: usize,
    end: usize,
    key: char,
}

fn find_triggers(tokens: &[Token]) -> Vec<Trigger> {
    (0..tokens.len()).filter_map(|verb| trigger_at(tokens, verb)).collect()
}

fn trigger_at(tokens: &[Token], verb: usize) -> Option<Trigger> {
    if !tokens.get(verb)?.is(TRIGGER_VERBS) {
        return None;
    }
    let mut key_at = verb + 1;
    while tokens.get(key_at)?.is(KEY_PREFIXES) && tokens.get(key_at + 1).and_then(key_of).is_some() {
        key_at += 1;
    }
    let key = key_of(tokens.get(key_at)?)?;
    let mut end = key_at + 1;
    if key == '#' && tokens.get(end).is_some_and(|t| t.is(&["key", "sign"])) {
        end += 1;
    }
    while tokens.get(end).is_some_and(|t| t.is(KEY_SUFFIXES)) {
        end += 1;
    }
    Some(Trigger { verb, end, key })
}

/// The key a word in key position names, homophones included.
fn key_of(token: &Token) -> Option<char> {
    let key = match token.word()? {
        "0" | "zero" | "oh" | "o" => '0',
        "1" | "one" | "won" => '1',
        "2" | "two" | "to" | "too" => '2',
        "3" | "three" | "tree" => '3',
        "4" | "four" | "for" | "fore" => '4',
        "5" | "five" => '5',
        "6" | "six" | "sicks" => '6',
        "7" | "seven" => '7',
        "8" | "eight" | "ate" => '8',
        "9" | "nine" | "niner" => '9',
        "*" | "star" | "asterisk" => '*',
        "#" | "pound" | "hash" | "hashtag" | "octothorpe" => '#',
        _ => return None,
    };
    Some(key)
}

/// On which side of its trigger a label is said, when nothing else tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LabelStyle {
    /// "press one for sales"
    AfterKey,
    /// "for sales press one"
    BeforeTrigger,
}

/// Labels come before their triggers when the words ahead of the first
/// trigger introduce a label and the words after the last key do not.
fn label_style(tokens: &[Token], triggers: &[Trigger]) -> LabelStyle {
    let (Some(first), Some(last)) = (triggers.first(), triggers.last()) else {
        return LabelStyle::AfterKey;
    };
    let prelude = last_sentence(&tokens[..first.verb]);
    let opens_with_label = prelude.iter().any(|t| t.is(LABEL_INTRODUCERS) || t.is(&["if"]));
    let tail = first_sentence(&tokens[last.end..]);
    let ends_with_label = tail.first().is_some_and(|t| t.is(LABEL_INTRODUCERS));
    if opens_with_label && !ends_with_label { LabelStyle::BeforeTrigger } else { LabelStyle::AfterKey }
}

fn last_sentence(tokens: &[Token]) -> &[Token] {
    match tokens.iter().rposition(|t| *t == Token::Boundary) {
        Some(boundary) => &tokens[boundary + 1..],
        None => tokens,
    }
}

fn first_sentence(tokens: &[Token]) -> &[Token] {
    match tokens.iter().position(|t| *t == Token::Boundary) {
        Some(boundary) => &tokens[..boundary],
        None => tokens,
    }
}

/// The words between two triggers, split into the part that labels the key
/// before them and the part that labels the trigger after them.
#[derive(Debug, Clone, Copy)]
struct GapSplit {
    /// Token range labelling the previous key.
    forward: (usize, usize),
    /// Token range labelling the next trigger.
    backward: (usize, usize),
}

fn split_gap(tokens: &[Token], start: usize, end: usize, style: LabelStyle, is_last: bool, is_first: bool) -> GapSplit {
    let gap = &tokens[start..end];
    let first_boundary = gap.iter().position(|t| *t == Token::Boundary).map(|i| start + i);
    let last_boundary = gap.iter().rposition(|t| *t == Token::Boundary).map(|i| start + i);
    if is_first {
        let from = last_boundary.map_or(start, |b| b + 1);
        return GapSplit { forward: (start, start), backward: (from, end) };
    }
    if let (Some(first_b), Some(last_b)) = (first_boundary, last_boundary) {
        return GapSplit { forward: (start, first_b), backward: (last_b + 1, end) };
    }
    let opens_with_label = gap.first().is_some_and(|t| t.is(LABEL_INTRODUCERS));
    if !opens_with_label || (style == LabelStyle::BeforeTrigger && !is_last) {
        return GapSplit { forward: (start, start), backward: (start, end) };
    }
    let stop = gap.iter().skip(1).position(|t| t.is(FORWARD_LABEL_STOPS) || t.is(TRIGGER_VERBS)).map(|i| start + 1 + i);
    match stop {
        Some(stop) => GapSplit { forward: (start, stop), backward: (stop, end) },
        None => GapSplit { forward: (start, end), backward: (end, end) },
    }
}

fn build_option(tokens: &[Token], triggers: &[Trigger], index: usize, style: LabelStyle) -> MenuOption {
    let trigger = triggers[index];
    let gap_before_start = if index == 0 { 0 } else { triggers[index - 1].end };
    let before = split_gap(tokens, gap_before_start, trigger.verb, style, false, index == 0);
    let gap_after_end = triggers.get(index + 1).map_or(tokens.len(), |next| next.verb);
    let after = split_gap(tokens, trigger.end, gap_after_end, style, index + 1 == triggers.len(), false);

    if let Some(label) = forward_label(&tokens[after.forward.0..after.forward.1]) {
        return MenuOption { key: trigger.key, label, phrase: phrase(tokens, trigger.verb, after.forward.1) };
    }
    if let Some((intro, label)) = backward_label(&tokens[before.backward.0..before.backward.1]) {
        let from = before.backward.0 + intro;
        return MenuOption { key: trigger.key, label, phrase: phrase(tokens, from, trigger.end) };
    }
    MenuOption { key: trigger.key, label: String::new(), phrase: phrase(tokens, trigger.verb, trigger.end) }
}

/// "for sales" → "sales"; `None` unless the words open with an introducer
/// and leave a label once trimmed.
fn forward_label(words: &[Token]) -> Option<String> {
    if !words.first()?.is(LABEL_INTRODUCERS) {
        return None;
    }
    trimmed_label(&words[1..])
}

/// The label said before a trigger, with the position of the word that
/// introduces it: the last "for" or "to <verb>", or an "if" clause.
fn backward_label(words: &[Token]) -> Option<(usize, String)> {
    let intro = (0..words.len()).rev().find(|&i| introduces_backward_label(words, i))?;
    let label = trimmed_label(&words[intro + 1..])?;
    Some((intro, label))
}

fn introduces_backward_label(words: &[Token], at: usize) -> bool {
    let token = &words[at];
    if token.is(&["to", "too"]) {
        return !words.get(at + 1).is_some_and(|next| next.is(DETERMINERS));
    }
    token.is(LABEL_INTRODUCERS) || token.is(&["if"])
}

fn trimmed_label(words: &[Token]) -> Option<String> {
    let mut words: Vec<&str> = words.iter().filter_map(Token::word).collect();
    while words.first().is_some_and(|w| LEADING_FILLERS.contains(w)) {
        words.remove(0);
    }
    while words.last().is_some_and(|w| TRAILING_FILLERS.contains(w)) {
        words.pop();
    }
    words.truncate(MAX_LABEL_WORDS);
    while words.last().is_some_and(|w| TRAILING_FILLERS.contains(w)) {
        words.pop();
    }
    if words.is_empty() { None } else { Some(words.join(" ")) }
}

fn phrase(tokens: &[Token], from: usize, to: usize) -> String {
    let words: Vec<&str> = tokens[from..to].iter().filter_map(Token::word).collect();
    words.join(" ")
}
