"""Which language a text is written in, for the English-only text tower
(MiniLM): offline, deterministic, in microseconds, and only as fine as the
routing needs. A script other than Latin names its language at once (Han
without kana is Chinese); Latin text is read as one of the European
languages the multilingual encoder knows when its function words or its
letters say so ("un chien sur la plage", "perro en la playa", "Hund im
Schnee"), else as English. Short cue lists on purpose: a word English also
uses ("die", "see", "chat", "strand") is left out, so an English query is
never sent away from the model that reads it best.
"""
from __future__ import annotations

import re

NAMES = {"zh": "Chinese", "ja": "Japanese", "ko": "Korean", "ru": "Russian", "el": "Greek",
         "ar": "Arabic", "he": "Hebrew", "th": "Thai", "hi": "Hindi", "es": "Spanish",
         "fr": "French", "de": "German", "it": "Italian", "pt": "Portuguese", "nl": "Dutch",
         "pl": "Polish", "tr": "Turkish"}

# Checked in this order: kana before Han (Japanese writes both).
_SCRIPTS = (("ja", r"[\u3040-\u30ff]"), ("ko", r"[\uac00-\ud7af]"), ("zh", r"[\u3400-\u4dbf\u4e00-\u9fff]"),
            ("ru", r"[\u0400-\u04ff]"), ("el", r"[\u0370-\u03ff]"), ("ar", r"[\u0600-\u06ff]"),
            ("he", r"[\u0590-\u05ff]"), ("th", r"[\u0e00-\u0e7f]"), ("hi", r"[\u0900-\u097f]"))
_SCRIPT = [(lang, re.compile(p)) for lang, p in _SCRIPTS]

# Function words and the commonest picture words of each language, none of
# them an English word.
_CUES = {
    "es": "de el la los las un una unos unas del al y con en por para sobre entre junto cerca "
          "perro perros gato gatos niño niña niños playa nieve montaña agua calle casa coche "
          "hombre mujer personas árbol flores cielo noche comida fotos foto dos tres pequeño negro blanco "
          "rojo azul verde marrón grande",
    "fr": "de le la les un une des du au aux et avec sans dans sur sous chez près devant derrière "
          "chien chiens enfant enfants plage neige montagne mer eau maison voiture "
          "homme femme gens arbre fleurs ciel nuit fête nourriture deux trois petit noir blanc bleu vert "
          "marron",
    "de": "der das dem des ein eine einem einen einer und mit ohne im auf unter neben vor "
          "hinter beim zum zur hund hunde katze kinder strände schnee meer wasser "
          "straße haus mann frau leute baum blumen himmel nacht essen vom sich eines ist sind zwei drei "
          "junge mädchen kleine kleines kleiner große großer schwarz schwarzer weiß weißer braun "
          "brauner rot roter blau blauer grün grüner",
    "it": "il lo gli della delle degli nel nella sul sulla con senza tra fra vicino cani "
          "gatto bambino bambina bambini spiaggia neve montagna acqua strada uomo albero nero bianco "
          "rosso piccolo",
    "pt": "de o os uma uns umas da dos das na nos nas em sem sobre cão cachorro gato "
          "menino menina praia neve montanha água rua homem mulher árvore dois três preto branco "
          "vermelho",
    "nl": "het een de en met zonder op onder naast bij voor achter hond honden kat kinderen "
          "sneeuw zee straat huis vrouw",
    "pl": "w na z ze nad przy psy kot dziecko dzieci plaża śnieg góry morze woda "
          "ulica dom mężczyzna kobieta drzewo",
    "tr": "ve ile bir bu şu köpek kedi çocuk plaj kar dağ deniz su sokak ev kadın ağaç",
}
_CUE_WORDS = {lang: set(words.split()) for lang, words in _CUES.items()}
# Letters only these languages write (a name like "Zoë" is one letter: the
# words decide unless the letters are all there is).
_LETTERS = {"es": "ñ¿¡", "fr": "çœèêëîôû", "de": "ßäöü", "pt": "ãõ", "pl": "łąęśźżćń", "tr": "ğşıöüç"}
_ENGLISH = set("the a an of in on at by with and or to from is are was were his her their my our "
               "this that these those some two three near next under over into onto while".split())
_WORD = re.compile(r"[^\W\d_]+")


def script_language(text: str) -> str | None:
    for lang, pattern in _SCRIPT:
        if pattern.search(text):
            return lang
    return None


def language_of(text: str) -> str | None:
    """The language code of ``text``, or None for English (or nothing to tell)."""
    lang = script_language(text)
    if lang:
        return lang
    words = [w.lower() for w in _WORD.findall(text)]
    if not words:
        return None
    english = sum(w in _ENGLISH for w in words)
    scores = {}
    for code, cues in _CUE_WORDS.items():
        letters = sum(ch in _LETTERS.get(code, "") for ch in text.lower())
        scores[code] = len(cues.intersection(words)) + min(letters, 2)
    best = max(scores, key=scores.get)
    # Two cues, or the one word there is: "de facto standard" and "el nino
    # map" stay English, "perro" and "Hund" do not.
    enough = 1 if len(words) == 1 else 2
    return best if scores[best] > english and scores[best] >= enough else None
