"""Ukrainian search for the website: a light suffix-stripping stemmer, the same in Python and JavaScript.

Sphinx ships no Ukrainian search language, so by default the index holds every word form apart
(`мережа`, `мережі`, `мережею`) and a query finds only the exact form typed. Here every word is cut
to a stem both when the index is built (Python, `stem`) and when a reader types a query (the JS
`Stemmer` class that Sphinx puts into language_data.js). The two must agree, so the JS code is
generated from the same ENDINGS list.

The stemmer is deliberately light: it removes one inflectional ending (the longest that fits),
keeping at least MIN_STEM letters. It conflates most noun, adjective and verb forms used in the book
(мережа/мережі/мережею/мережами → мереж, тензор/тензора/тензорів → тензор) and never produces an
empty stem. Alternations inside the stem (рука/руці) are not handled; a partial-word query still
finds them through Sphinx's substring matching.
"""

import json

from sphinx.search import SearchLanguage

MIN_STEM = 3  # letters left after stripping: shorter stems would merge unrelated words

# Inflectional endings of Ukrainian nouns, adjectives, pronouns and verbs (with the reflexive
# particle handled separately). Order does not matter: the longest matching ending wins.
ENDINGS = sorted(
    {
        # nouns
        "а", "я", "о", "е", "є", "и", "і", "ї", "у", "ю", "ь",
        "ам", "ям", "ах", "ях", "ами", "ями", "ів", "їв", "ей", "ою", "ею", "єю", "ом", "ем", "єм",
        "ові", "еві", "єві",
        # adjectives, participles and pronouns (besides the endings they share with nouns above)
        "ий", "ій", "ого", "ому", "ім", "им", "их", "іх", "ими", "іми", "ої",
        "ього", "ьому", "ьої", "ьою",
        "ша", "ше", "ший", "шого", "шому", "шим", "ших", "ші",
        # verbs (besides -ю and -ів above)
        "ти", "ть", "еш", "єш", "ить", "ать", "ять", "ємо", "емо", "имо", "іть", "ете", "єте",
        "ите", "ють", "уть", "ав", "ала", "ало", "али", "ив", "ила", "ило", "или",
        "іла", "іло", "іли", "ував", "ували", "уємо", "ує", "ують", "ати", "ити", "іти", "яти",
        "увати", "ювати", "ння",
    },
    key=len,
    reverse=True,
)
REFLEXIVE = ("ся", "сь")

# Short function words that would only add noise to the index and to queries.
STOPWORDS = {
    "і", "й", "та", "а", "але", "або", "чи", "що", "це", "як", "не", "ні", "ну", "же", "ж", "би", "б",
    "в", "у", "на", "з", "із", "зі", "до", "від", "по", "за", "для", "при", "про", "під", "над",
    "без", "через", "між", "після", "так", "то", "те", "ті", "той", "та", "цей", "ця", "ці",
    "його", "її", "їх", "ми", "ви", "він", "вона", "воно", "вони", "ще", "вже", "лише", "тільки",
}


def stem(word):
    """Cut one inflectional ending (and a reflexive particle) off a lowercase Ukrainian word."""
    word = word.lower().replace("ʼ", "'").replace("’", "'")
    for particle in REFLEXIVE:
        if word.endswith(particle) and len(word) - len(particle) >= MIN_STEM + 1:
            word = word[: -len(particle)]
            break
    for ending in ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= MIN_STEM:
            return word[: -len(ending)]
    return word


JS_STEMMER = f"""
/**
 * Light Ukrainian stemmer of the course website (book/_ext/uk_search.py): the same rules as
 * the Python stemmer that built the search index, so a query matches every form of a word.
 */
var Stemmer = function() {{
  var ENDINGS = {json.dumps(ENDINGS, ensure_ascii=False)};
  var REFLEXIVE = {json.dumps(list(REFLEXIVE), ensure_ascii=False)};
  var MIN_STEM = {MIN_STEM};
  this.stemWord = function(word) {{
    word = word.toLowerCase().replace(/[\\u02BC\\u2019]/g, "'");
    for (var i = 0; i < REFLEXIVE.length; i++) {{
      var particle = REFLEXIVE[i];
      if (word.endsWith(particle) && word.length - particle.length >= MIN_STEM + 1) {{
        word = word.slice(0, -particle.length);
        break;
      }}
    }}
    for (var j = 0; j < ENDINGS.length; j++) {{
      var ending = ENDINGS[j];
      if (word.endsWith(ending) && word.length - ending.length >= MIN_STEM) {{
        return word.slice(0, -ending.length);
      }}
    }}
    return word;
  }};
}};
"""


class SearchUkrainian(SearchLanguage):
    lang = "uk"
    language_name = "Ukrainian"
    stopwords = STOPWORDS
    js_stemmer_code = JS_STEMMER

    def stem(self, word):
        return stem(word)

    def word_filter(self, word):
        # The base class filters stopwords of Latin script only; ours are Cyrillic.
        return bool(word) and word not in self.stopwords and not word.isdigit()


def setup(app):
    app.add_search_language(SearchUkrainian)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
