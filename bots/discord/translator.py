"""Spanish slash-command names and descriptions (es-ES and es-419), plus the few strings only
the Discord adapter shows (everything the bot *says* comes from core.i18n).

Command, group and option names must be valid Discord names in every language: lower case, no
spaces, at most 32 characters (a test checks every entry). Descriptions are at most 100.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.app_commands import TranslationContextLocation as Where

SPANISH_LOCALES = frozenset({discord.Locale.spain_spanish, discord.Locale.latin_american_spanish})

# Command, group and option names (English source name → Spanish name).
NAMES_ES: dict[str, str] = {
    # commands and groups
    "meetings": "reuniones",
    "find": "buscar",
    "now": "ahora",
    "today": "hoy",
    "tomorrow": "mañana",
    "meeting": "reunion",
    "show": "ver",
    "meetings-admin": "reuniones-admin",
    "add": "agregar",
    "remove": "quitar",
    "cancel": "cancelar",
    "move": "mover",
    "close": "cerrar",
    "restore": "restaurar",
    "every": "cada",
    "starts": "desde",
    "until": "hasta",
    "holidays": "festivos",
    "details": "detalles",
    "reflection": "reflexion",
    "step": "paso",
    "steps": "pasos",
    "subscribe": "suscribir",
    "me": "yo",
    "channel": "canal",
    "unsubscribe": "cancelar-suscripcion",
    "subscriptions": "suscripciones",
    "remind": "recordar",
    "sobriety": "sobriedad",
    "settings": "ajustes",
    "timezone": "zona-horaria",
    "language": "idioma",
    "fellowship": "programa",
    "community": "comunidad",
    "export": "exportar",
    "import": "importar",
    "helpline": "lineas-de-ayuda",
    "forgetme": "olvidame",
    "help": "ayuda",
    # options
    "when": "cuando",
    "type": "tipo",
    "attendance": "modalidad",
    "region": "region",
    "text": "texto",
    "filters": "filtros",
    "name": "nombre",
    "day": "dia",
    "time": "hora",
    "end": "fin",
    "types": "tipos",
    "location": "lugar",
    "address": "direccion",
    "city": "ciudad",
    "url": "enlace",
    "phone": "telefono",
    "notes": "notas",
    "number": "numero",
    "minutes": "minutos",
    "action": "accion",
    "date": "fecha",
    "zone": "zona",
    "setting": "ajuste",
    "value": "valor",
    "file": "archivo",
    "report": "informar",
    "what": "que",
    "note": "nota",
    "contactable": "contactable",
}

# Descriptions and fixed choice names (English source text → Spanish text).
TEXTS_ES: dict[str, str] = {
    # /meetings
    "Find 12-step meetings": "Buscar reuniones de 12 pasos",
    "Search meetings by day, type, fellowship, attendance or place": "Buscar reuniones por día, tipo, programa, modalidad o lugar",
    "When: now, today, tomorrow or a weekday": "Cuándo: ahora, hoy, mañana o un día de la semana",
    "Meeting type, e.g. Women, Speaker, Spanish": "Tipo de reunión, p. ej. Mujeres, Oradores, Español",
    "Fellowship, e.g. AA, NA, Al-Anon": "Programa, p. ej. AA, NA, Al-Anon",
    "Online, in person or hybrid": "En línea, presencial o híbrida",
    "City, region or place name": "Ciudad, región o lugar",
    "Words to look for in names, places and notes": "Palabras a buscar en nombres, lugares y notas",
    "Meetings happening now or within the hour": "Reuniones ahora o dentro de una hora",
    "The rest of today's meetings": "El resto de las reuniones de hoy",
    "Tomorrow's meetings": "Las reuniones de mañana",
    "Optional filters, e.g. women online": "Filtros opcionales, p. ej. mujeres en línea",
    "Now": "Ahora",
    "Today": "Hoy",
    "Tonight": "Esta noche",
    "Tomorrow": "Mañana",
    "Upcoming": "Próximas",
    "Monday": "Lunes",
    "Tuesday": "Martes",
    "Wednesday": "Miércoles",
    "Thursday": "Jueves",
    "Friday": "Viernes",
    "Saturday": "Sábado",
    "Sunday": "Domingo",
    "Online": "En línea",
    "In person": "Presencial",
    "Hybrid": "Híbrida",
    # /meeting
    "One meeting": "Una reunión",
    "Show one meeting with its next dates": "Ver una reunión con sus próximas fechas",
    "Meeting name or id": "Nombre o id de la reunión",
    "Report a change to a meeting's listing": "Informar de un cambio en los datos de una reunión",
    "What is wrong": "Qué está mal",
    "A line of your own (optional)": "Una línea suya (opcional)",
    "May the admins contact you about it? (default: no, anonymous)":
        "¿Pueden contactarte los administradores? (predeterminado: no, anónimo)",
    "Day or time": "Día u hora",
    "Place or address": "Lugar o dirección",
    "Link or phone": "Enlace o teléfono",
    "Meeting closed": "Reunión cerrada",
    "Something else": "Otra cosa",
    "Group contacts on cards (on or off)": "Contactos de grupo en las tarjetas (on u off)",
    "Change reports (here or private)": "Informes de cambios (here o private)",
    # /meetings-admin
    "Manage this server's own meetings (Manage Server)": "Gestionar las reuniones propias del servidor (Gestionar servidor)",
    "Add a meeting for this server": "Agregar una reunión para este servidor",
    "Meeting name": "Nombre de la reunión",
    "Day or days, e.g. monday or mon,thu": "Día o días, p. ej. lunes o lun,jue",
    "Start time, e.g. 19:00 or 7:00 PM": "Hora de inicio, p. ej. 19:00",
    "End time, e.g. 20:00": "Hora de fin, p. ej. 20:00",
    "Time zone (default: the server's)": "Zona horaria (predeterminada: la del servidor)",
    "Fellowship (default: the server's)": "Programa (predeterminado: el del servidor)",
    "Types separated by commas, e.g. Open, Speaker": "Tipos separados por comas, p. ej. Abierta, Oradores",
    "Place, building or voice channel": "Lugar, edificio o canal de voz",
    "Street address": "Dirección",
    "City": "Ciudad",
    "Link to join online": "Enlace para unirse en línea",
    "Dial-in phone number": "Teléfono para llamar",
    "Notes": "Notas",
    "Remove one of this server's meetings": "Quitar una de las reuniones del servidor",
    "How often, e.g. every 1st saturday, every other tuesday, once 2026-12-20": "Con qué frecuencia, p. ej. cada primer sábado, cada dos martes, una vez 2026-12-20",
    "First date (YYYY-MM-DD)": "Primera fecha (AAAA-MM-DD)",
    "Last date (YYYY-MM-DD)": "Última fecha (AAAA-MM-DD)",
    "Closed on this country's public holidays, e.g. US or GB": "Cerrada en los festivos de este país, p. ej. ES o MX",
    "Cancel one sitting of a meeting": "Cancelar una sesión de una reunión",
    "DATE [reason]": "FECHA [motivo]",
    "Move one sitting to another time or day": "Cambiar una sesión a otra hora o día",
    "DATE [NEW-DATE] HH:MM [END] [reason]": "FECHA [NUEVA-FECHA] HH:MM [FIN] [motivo]",
    "Close a meeting over a range of dates": "Cerrar una reunión durante unas fechas",
    "FROM TO [reason]": "DESDE HASTA [motivo]",
    "Undo a cancel, move or closure on a date": "Deshacer una cancelación, cambio o cierre en una fecha",
    "DATE": "FECHA",
    # reflections and steps
    "Today's reflection, or another day's": "La reflexión de hoy o de otro día",
    "today, tomorrow or a date (YYYY-MM-DD)": "hoy, mañana o una fecha (AAAA-MM-DD)",
    "One of the Twelve Steps": "Uno de los Doce Pasos",
    "Step number (1-12)": "Número del paso (1-12)",
    "The Twelve Steps": "Los Doce Pasos",
    # subscriptions
    "Daily reflection subscriptions": "Suscripciones a la reflexión diaria",
    "Get the daily reflection by direct message": "Recibir la reflexión diaria por mensaje directo",
    "Post the daily reflection in a channel (Manage Server)": "Publicar la reflexión diaria en un canal (Gestionar servidor)",
    "Local time, e.g. 07:00": "Hora local, p. ej. 07:00",
    "Your time zone, e.g. Madrid": "Tu zona horaria, p. ej. Madrid",
    "Time zone, e.g. Madrid": "Zona horaria, p. ej. Madrid",
    "Channel (default: this one)": "Canal (predeterminado: este)",
    "Stop a daily reflection subscription": "Cancelar una suscripción a la reflexión diaria",
    "A channel to unsubscribe instead of you (Manage Server)": "Un canal a desuscribir en lugar de ti (Gestionar servidor)",
    "Your subscriptions and reminders": "Tus suscripciones y recordatorios",
    "A weekly reminder before a meeting": "Un recordatorio semanal antes de una reunión",
    "Minutes before the meeting": "Minutos antes de la reunión",
    "Your sobriety date (private)": "Tu fecha de sobriedad (privada)",
    "Show, set or clear": "Ver, fijar o borrar",
    "Your date, YYYY-MM-DD (for set)": "Tu fecha, AAAA-MM-DD (para fijar)",
    "Show": "Ver",
    "Set": "Fijar",
    "Clear": "Borrar",
    # settings
    "Your time zone, language and fellowship": "Tu zona horaria, idioma y programa",
    "Show your settings": "Ver tus ajustes",
    "Set your time zone": "Elegir tu zona horaria",
    "City or time zone, e.g. Madrid": "Ciudad o zona horaria, p. ej. Madrid",
    "Set your language": "Elegir tu idioma",
    "Language": "Idioma",
    "Set your default fellowship": "Elegir tu programa predeterminado",
    "Fellowship, or All": "Programa, o Todos",
    "Server defaults (Manage Server)": "Ajustes del servidor (Gestionar servidor)",
    "What to change (empty: show)": "Qué cambiar (vacío: ver)",
    "New value (helplines: separate with |)": "Nuevo valor (líneas de ayuda: separar con |)",
    "Time zone": "Zona horaria",
    "Fellowships": "Programas",
    "Helplines": "Líneas de ayuda",
    "Events (scheduled events for this server's meetings)":
        "Eventos (eventos programados de las reuniones de este servidor)",
    # calendars
    "Meetings as a calendar file (.ics)": "Reuniones como archivo de calendario (.ics)",
    "Import meetings from a calendar file or a link (admins)": "Importar reuniones de un archivo de calendario o un enlace (admins)",
    "Link to an .ics, JSON or CSV file": "Enlace a un archivo .ics, JSON o CSV",
    "A calendar file (.ics, .json, .csv)": "Un archivo de calendario (.ics, .json, .csv)",
    # the rest
    "Helplines, always available": "Líneas de ayuda, siempre disponibles",
    "Delete everything stepbot stores about you": "Borrar todo lo que stepbot guarda sobre ti",
    "What stepbot does and how to use it": "Qué hace stepbot y cómo usarlo",
}

_NAME_PLACES = frozenset({Where.command_name, Where.group_name, Where.parameter_name})


class StepbotTranslator(app_commands.Translator):
    """Spanish for es-ES and es-419; English (the source strings) everywhere else."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        if locale not in SPANISH_LOCALES:
            return None
        table = NAMES_ES if context.location in _NAME_PLACES else TEXTS_ES
        return table.get(string.message)
