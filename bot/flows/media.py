"""Short, helpful answers to messages the bot cannot read: photos, voice notes, stickers, places.

A citizen on a cheap phone often sends a voice note or a photo of a paper instead of typing. Each
kind gets its own short answer saying what to do instead; the engine then repeats the question
the citizen was at, so nothing is lost.
"""

from __future__ import annotations

from bot.domain.errors import N_
from bot.i18n import Translator

PHOTO = N_(
    "Recibí una foto, pero solo puedo leer mensajes de texto y botones. Escriba su consulta con "
    "palabras, por ejemplo «no me llegó el bono». Si necesita entregar un documento, llévelo a "
    "su oficina distrital."
)
VOICE = N_(
    "Recibí un audio, pero todavía no puedo escuchar mensajes de voz. Escríbame su consulta con "
    "pocas palabras, por ejemplo «cuándo pagan»."
)
VIDEO = N_("Recibí un video, pero no puedo verlo. Escriba su consulta con palabras, por favor.")
DOCUMENT = N_(
    "Recibí un archivo, pero no puedo abrir archivos. Escriba su consulta; los documentos se "
    "entregan en su oficina distrital."
)
STICKER = N_("¡Gracias! Escriba su consulta o «menú» para ver las opciones.")
LOCATION = N_(
    "Gracias por su ubicación, pero todavía no puedo saber su parroquia por el mapa. Cuando le "
    "pregunte por su parroquia, envíe su nombre (por ejemplo: Tacamoros)."
)
CONTACT = N_(
    "Recibí un contacto, pero no guardo contactos compartidos. Si le pido un número de celular, "
    "escríbalo, por ejemplo 0991234567."
)
OTHER = N_("Por ahora solo puedo leer mensajes de texto y botones. Escriba su consulta, por favor.")
WITH_CAPTION = N_("No puedo ver lo que adjuntó, pero leí el texto que lo acompaña.")

MEDIA_TEXTS = {
    "photo": PHOTO,
    "voice": VOICE,
    "audio": VOICE,
    "video_note": VOICE,
    "video": VIDEO,
    "animation": VIDEO,
    "document": DOCUMENT,
    "sticker": STICKER,
    "dice": STICKER,
    "location": LOCATION,
    "venue": LOCATION,
    "contact": CONTACT,
}


def media_reply(tr: Translator, kind: str) -> str:
    """The answer to a message of `kind` ("photo", "voice", "sticker", "location"...)."""
    return tr.t(MEDIA_TEXTS.get(kind, OTHER))


def caption_note(tr: Translator) -> str:
    """The note sent before answering the caption of a photo or file as if it were text."""
    return tr.t(WITH_CAPTION)
