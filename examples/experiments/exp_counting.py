"""Count words of a built-in text; shows a second command and an ingredient."""

from sacred import Experiment, Ingredient

corpus = Ingredient("corpus")


@corpus.config
def corpus_config():
    text = "the quick brown fox jumps over the lazy dog the end"  # text to count


@corpus.capture
def load_words(text):
    return text.split()


ex = Experiment("counting", ingredients=[corpus])


@ex.config
def config():
    top = 3  # how many of the most frequent words to report


@ex.main
def count(top, _run):
    """Return the ``top`` most frequent words."""
    words = load_words()
    counts = {}
    for word in words:
        counts[word] = counts.get(word, 0) + 1
    _run.log_scalar("distinct", len(counts))
    return sorted(counts, key=lambda w: (-counts[w], w))[:top]


@ex.command
def total():
    """Print the number of words."""
    n = len(load_words())
    print(n)
    return n


if __name__ == "__main__":
    ex.run_commandline()
