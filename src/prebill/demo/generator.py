"""Demo portfolio of a French accounting firm, in the interchange formats (pure Python, no Django).

Everything is drawn from `random.Random(seed)` and the `today` given: the same arguments always
give the same portfolio, timesheet and payroll rows.
"""

from __future__ import annotations

import csv
import json
import random
import unicodedata
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import accumulate
from pathlib import Path

from prebill.core.identifiers import french_vat_number, siren_with_key

TIME_COLUMNS = (
    "id", "date", "collaborator", "engagement", "part", "task", "hours", "billable", "activity", "domain",
    "approved", "comment",
)
METRIC_COLUMNS = ("client", "engagement", "metric", "period", "quantity")
ENTRIES_PER_CLIENT = 60
PAYSLIPS = "PAYSLIPS"

# --- the firm --------------------------------------------------------------------------------------

GROUPS = (
    ("EXPERTISE", "Pôle expertise comptable"),
    ("SOCIAL", "Pôle social et paie"),
    ("CONSEIL", "Pôle conseil et audit"),
)
GRADE_RATES = {  # grade: (hourly sale rate, daily sale rate) in euros
    "associe": (220, 1450),
    "manager": (150, 980),
    "senior": (115, 750),
    "junior": (85, 560),
    "assistant": (60, 390),
}
BASE_TEAM = (  # (grade, group): every group has at least one manager or partner
    ("associe", "EXPERTISE"), ("associe", "CONSEIL"), ("manager", "EXPERTISE"), ("manager", "SOCIAL"),
    ("manager", "CONSEIL"), ("senior", "EXPERTISE"), ("senior", "EXPERTISE"), ("senior", "CONSEIL"),
    ("junior", "EXPERTISE"), ("junior", "SOCIAL"), ("junior", "EXPERTISE"), ("assistant", "SOCIAL"),
)
EXTRA_TEAM = (
    ("senior", "EXPERTISE"), ("junior", "EXPERTISE"), ("assistant", "EXPERTISE"), ("manager", "EXPERTISE"),
    ("junior", "SOCIAL"), ("senior", "CONSEIL"), ("junior", "EXPERTISE"), ("assistant", "SOCIAL"),
    ("senior", "EXPERTISE"), ("junior", "CONSEIL"), ("manager", "SOCIAL"), ("senior", "SOCIAL"),
    ("associe", "EXPERTISE"), ("junior", "EXPERTISE"), ("manager", "CONSEIL"), ("assistant", "EXPERTISE"),
)
ARTICLES = (
    {"code": "HON-TEN", "sub_code": "", "label": "Honoraires de tenue comptable", "unit": "forfait",
     "unit_price": None, "vat_rate": "20", "revenue_account": "706100"},
    {"code": "HON-JUR", "sub_code": "", "label": "Honoraires d'établissement des comptes annuels et juridique",
     "unit": "forfait", "unit_price": None, "vat_rate": "20", "revenue_account": "706200"},
    {"code": "HON-SOC", "sub_code": "", "label": "Honoraires de gestion sociale", "unit": "forfait",
     "unit_price": None, "vat_rate": "20", "revenue_account": "706300"},
    {"code": "BUL", "sub_code": "", "label": "Établissement des bulletins de paie", "unit": "bulletin",
     "unit_price": "18.50", "vat_rate": "20", "revenue_account": "706310"},
    {"code": "CONS", "sub_code": "STD", "label": "Honoraires de conseil", "unit": "heure",
     "unit_price": None, "vat_rate": "20", "revenue_account": "706400"},
    {"code": "CONS", "sub_code": "AUD", "label": "Honoraires d'audit", "unit": "heure",
     "unit_price": None, "vat_rate": "20", "revenue_account": "706500"},
    {"code": "CONS", "sub_code": "STR", "label": "Honoraires de conseil stratégique", "unit": "heure",
     "unit_price": None, "vat_rate": "20", "revenue_account": "706410"},
    {"code": "FRAIS", "sub_code": "", "label": "Frais refacturés", "unit": "forfait", "unit_price": None,
     "vat_rate": "20", "revenue_account": "708500"},
    {"code": "ACHAT", "sub_code": "", "label": "Achats refacturés", "unit": "unité", "unit_price": None,
     "vat_rate": "20", "revenue_account": "707000"},
    {"code": "HSUP", "sub_code": "", "label": "Heures supplémentaires", "unit": "heure", "unit_price": None,
     "vat_rate": "20", "revenue_account": "706400"},
    {"code": "FORM", "sub_code": "", "label": "Formation professionnelle continue", "unit": "apprenant",
     "unit_price": None, "vat_rate": "20", "revenue_account": "706600"},
)

# --- the firm's training activity: a small catalogue, sessions around today, one OPCO that funds ----

FUNDER = "OPCO"
TRAINING_PRODUCTS = (  # exempt from VAT: continuing vocational training
    {"reference": "FOR-COMPTA", "label": "Les fondamentaux de la comptabilité", "hours": "14.00", "days": "2.00",
     "price": "690.00", "basis": "per_learner", "article": "FORM", "vat_exempt": True},
    {"reference": "FOR-PAIE", "label": "La paie expliquée aux dirigeants", "hours": "7.00", "days": "1.00",
     "price": "390.00", "basis": "per_learner", "article": "FORM", "vat_exempt": True},
    {"reference": "FOR-TDB", "label": "Tableaux de bord de gestion (intra-entreprise)", "hours": "14.00",
     "days": "2.00", "price": "2400.00", "basis": "per_group", "article": "FORM", "vat_exempt": True},
)
# (product, days from today to the start, length in days, place, learners per sponsor, what the OPCO funds of
# each sponsor's part: a percentage or an amount). Sponsors are numbers, turned into client codes below.
TRAINING_SESSIONS = (
    ("FOR-COMPTA", None, 2, "Paris 9e — salle Haussmann", {0: 2, 1: 1}, {0: ("percent", "100"), 1: ("percent", "50")}),
    ("FOR-PAIE", 7, 1, "Paris 9e — salle Haussmann", {2: 1, 0: 1}, {2: ("percent", "100"), 0: ("amount", "200.00")}),
    ("FOR-TDB", 14, 2, "Dans les locaux du client", {3: 3}, {3: ("amount", "1200.00")}),
    ("FOR-COMPTA", 28, 2, "Lyon — Part-Dieu", {1: 2}, {}),
    ("FOR-PAIE", 35, 1, "Paris 9e — salle Haussmann", {2: 1, 3: 2}, {2: ("percent", "100"), 3: ("percent", "100")}),
)

# Overtime surcharges of the consulting engagements (the collaborator's hourly rate, raised).
OVERTIME_BANDS = [
    {"day_kind": "weekday", "start": "20:00", "end": "22:00", "percent": "25"},
    {"day_kind": "weekday", "start": "22:00", "end": "00:00", "percent": "50"},
    {"day_kind": "saturday", "start": "00:00", "end": "00:00", "percent": "25"},
    {"day_kind": "sunday", "start": "00:00", "end": "00:00", "percent": "100"},
    {"day_kind": "holiday", "start": "00:00", "end": "00:00", "percent": "100"},
]

# --- word lists ------------------------------------------------------------------------------------

FIRST_NAMES = (
    "Camille", "Julien", "Sophie", "Nicolas", "Claire", "Thomas", "Émilie", "Antoine", "Laura", "Maxime",
    "Céline", "Pierre", "Audrey", "Guillaume", "Élodie", "Romain", "Marie", "Mathieu", "Aurélie", "Hugo",
    "Pauline", "Alexandre", "Chloé", "Benoît", "Manon", "François", "Inès", "Sébastien", "Léa", "Olivier",
    "Sarah", "Vincent", "Justine", "Damien", "Margaux", "Karim", "Nadia", "Yann", "Anaïs", "Florian",
)
SURNAMES = (
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
    "Simon", "Laurent", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier", "Morel",
    "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez", "Legrand", "Garnier",
    "Faure", "Rousseau", "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Nicolas", "Perrin", "Morin",
    "Mathieu", "Clément", "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin", "Masson", "Sanchez",
    "Gérard", "Nguyen", "Boyer", "Denis", "Lemaire", "Duval", "Joly", "Gautier", "Roger", "Roche",
    "Roy", "Noël", "Meyer", "Lucas", "Meunier", "Jean", "Perez", "Marchand", "Dufour", "Blanchard",
    "Marie", "Barbier", "Brun", "Dumas", "Brunet", "Schmitt", "Leroux", "Colin", "Fernandez", "Pierre",
    "Renard", "Arnaud", "Rolland", "Caron", "Aubert", "Giraud", "Leclerc", "Vidal", "Bourgeois", "Renaud",
    "Lemoine", "Picard", "Gaillard", "Philippe", "Leclercq", "Lacroix", "Fabre", "Dupuis", "Olivier", "Rodriguez",
)
TRADES = (
    "Boulangerie", "Pâtisserie", "Boucherie", "Charcuterie", "Garage", "Pharmacie", "Librairie", "Fleuriste",
    "Menuiserie", "Plomberie", "Électricité", "Imprimerie", "Restaurant", "Café", "Hôtel", "Cabinet dentaire",
    "Maçonnerie", "Couverture", "Taxi", "Auto-école", "Salon de coiffure", "Optique", "Épicerie fine",
    "Cave", "Cabinet d'architecture", "Pressing", "Quincaillerie", "Serrurerie", "Ambulances", "Fromagerie",
)
COMPANY_ACTIVITIES = (
    "Transports", "Bâtiment", "Peintures", "Menuiseries", "Distribution", "Rénovation", "Charpentes",
    "Informatique", "Conseil", "Immobilier", "Nettoyage", "Logistique", "Paysages", "Négoce", "Travaux publics",
    "Chauffage", "Terrassement", "Communication", "Énergies", "Vins",
)
LEGAL_FORMS = ("SARL", "SAS", "SASU", "EURL", "SARL", "SAS")
PLACES = (
    "Les Tilleuls", "Du Parc", "Les Acacias", "Du Moulin", "Bellevue", "Les Chênes", "Saint-Martin",
    "La Fontaine", "Les Peupliers", "Le Clos Fleuri", "Les Érables", "Du Château", "Les Vignes", "Montplaisir",
    "Les Hirondelles", "Beauséjour", "Le Verger", "Les Marronniers", "La Roseraie", "Du Lac",
)
VENUES = (
    ("Le Bistrot", "du Port"), ("Atelier", "du Moulin"), ("Le Comptoir", "des Halles"), ("La Table", "du Marché"),
    ("Les Jardins", "de la Vallée"), ("Le Relais", "des Tilleuls"), ("La Maison", "du Pain"),
    ("L'Atelier", "des Lilas"), ("Le Fournil", "de la Place"), ("La Brasserie", "de la Gare"),
)
SYLLABLES_A = ("Nova", "Axi", "Alti", "Opti", "Vita", "Eco", "Data", "Logi", "Medi", "Inno", "Terra", "Acti")
SYLLABLES_B = ("tech", "lis", "via", "com", "sys", "gest", "nov", "line", "log", "rium", "sens", "mind")
STREETS = (
    "rue de la République", "avenue Jean Jaurès", "boulevard Victor Hugo", "rue Pasteur", "place du Marché",
    "rue du Général de Gaulle", "avenue de la Gare", "rue des Écoles", "chemin des Vignes", "rue Nationale",
    "rue Voltaire", "avenue Foch", "rue de Verdun", "boulevard Gambetta", "rue du Moulin", "impasse des Lilas",
    "rue de l'Église", "allée des Tilleuls", "rue Émile Zola", "quai de la Loire", "rue de la Paix",
    "avenue des Champs", "rue Saint-Jacques", "route de Paris", "rue des Artisans", "zone artisanale des Prés",
)
CITIES = (  # (city, postcode): real pairs
    ("Paris", "75002"), ("Paris", "75008"), ("Paris", "75009"), ("Paris", "75011"), ("Paris", "75015"),
    ("Paris", "75017"), ("Boulogne-Billancourt", "92100"), ("Versailles", "78000"), ("Saint-Denis", "93200"),
    ("Lyon", "69002"), ("Villeurbanne", "69100"), ("Marseille", "13001"), ("Aix-en-Provence", "13100"),
    ("Toulouse", "31000"), ("Nice", "06000"), ("Nantes", "44000"), ("Strasbourg", "67000"),
    ("Montpellier", "34000"), ("Bordeaux", "33000"), ("Lille", "59000"), ("Rennes", "35000"),
    ("Reims", "51100"), ("Le Havre", "76600"), ("Saint-Étienne", "42000"), ("Toulon", "83000"),
    ("Grenoble", "38000"), ("Dijon", "21000"), ("Angers", "49000"), ("Nîmes", "30000"),
    ("Clermont-Ferrand", "63000"), ("Le Mans", "72000"), ("Brest", "29200"), ("Tours", "37000"),
    ("Amiens", "80000"), ("Limoges", "87000"), ("Annecy", "74000"), ("Orléans", "45000"), ("Rouen", "76000"),
    ("Caen", "14000"), ("Metz", "57000"),
)
FOREIGN_CITIES = (  # (city, postcode, country)
    ("Bruxelles", "1000", "BE"), ("Liège", "4000", "BE"), ("Namur", "5000", "BE"), ("Gand", "9000", "BE"),
    ("Luxembourg", "1611", "LU"), ("Esch-sur-Alzette", "4050", "LU"),
)
CONSULTING_LABELS = (
    "Mission de conseil en gestion", "Audit des procédures internes", "Accompagnement à la transmission",
    "Prévisionnel et plan de financement", "Mission d'audit contractuel", "Conseil en organisation",
    "Évaluation de l'entreprise", "Accompagnement à la levée de fonds",
)
COMMENTS = {
    "saisie": ("Saisie des achats", "Saisie des ventes", "Rapprochement bancaire", "Saisie de la banque",
               "Lettrage des comptes clients", "Pointage des notes de frais"),
    "revision": ("Révision des comptes fournisseurs", "Révision des immobilisations", "Contrôle de la TVA",
                 "Préparation de la liasse fiscale", "Revue des stocks", "Déclaration de TVA"),
    "conseil": ("Réunion avec le dirigeant", "Analyse des marges", "Tableau de bord", "Rédaction du rapport",
                "Préparation du comité", "Étude de financement"),
    "audit": ("Revue du contrôle interne", "Tests sur les ventes", "Circularisation clients", "Inventaire physique",
              "Note de synthèse"),
}


# --- small helpers ---------------------------------------------------------------------------------


def _luhn_ok(digits: str) -> bool:
    """Whether a digit string passes the Luhn check."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _with_luhn_key(digits: str) -> str:
    """Append the digit that makes `digits` pass the Luhn check."""
    return next(digits + key for key in "0123456789" if _luhn_ok(digits + key))


def _money(cents: int) -> str:
    """Cents as a decimal string with two decimals."""
    return f"{cents // 100}.{cents % 100:02d}"


def _hours(quarters: int) -> str:
    """Quarter hours as a decimal string of hours with two decimals."""
    return f"{quarters // 4}.{quarters % 4 * 25:02d}"


def _ascii_slug(text: str) -> str:
    """Lower-case ASCII letters and digits of a name, for e-mail domains."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(char for char in folded.lower() if char.isalnum()) or "client"


def _initials(name: str) -> str:
    """First letter of the first name and two of the surname, upper-case ASCII."""
    first, last = _ascii_slug(name.split(" ", 1)[0]), _ascii_slug(name.split(" ", 1)[1])
    return (first[0] + last[:2]).upper()


def _fr_iban(bank: str, branch: str, account: str) -> str:
    """A French IBAN with valid RIB key and IBAN check digits."""
    rib_key = 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97
    bban = f"{bank}{branch}{account}{rib_key:02d}"
    check = 98 - int(bban + "152700") % 97  # FR00 moved to the end, F=15 R=27
    return f"FR{check:02d}{bban}"


def _foreign_vat(rng: random.Random, country: str) -> str:
    """A Belgian (BE0 + 9 digits, mod 97) or Luxembourg (LU + 8 digits, mod 89) VAT number."""
    if country == "BE":
        first = "0" + str(rng.randint(2_000_000, 9_999_999))
        return f"BE{first}{97 - int(first) % 97:02d}"
    first = str(rng.randint(100_000, 999_999))
    return f"LU{first}{int(first) % 89:02d}"


def _weekdays(start: date, end: date) -> list[date]:
    """Monday to Friday dates from start to end, both included."""
    days, day = [], start
    while day <= end:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


# --- the portfolio ---------------------------------------------------------------------------------


def _organisation(used_sirens: set[str]) -> dict:
    """The issuing firm: Cabinet Lefèvre & Associés, Paris."""
    siren = siren_with_key("81234567")
    used_sirens.add(siren)
    return {
        "legal_name": "Cabinet Lefèvre & Associés", "legal_form": "SAS", "siren": siren,
        "vat_number": french_vat_number(siren),
        "address": {"line1": "18 rue de Châteaudun", "postcode": "75009", "city": "Paris", "country": "FR"},
        "iban": _fr_iban("30004", "00828", "00010123456"), "bic": "BNPAFRPPXXX",
        "hours_per_day": "7", "bill_only_approved_time": False, "time_rounding_minutes": 15,
        "share_capital": "50000", "rcs_city": "Paris",
        "invoice_series": [{"code": "F", "kind": "both", "prefix": "F{year}-", "digits": 6, "is_default": True}],
    }


def _collaborators(rng: random.Random, clients: int) -> list[dict]:
    """About 12 + clients/100 collaborators (at most 80) with grades, groups and sale rates."""
    size = min(80, 12 + clients // 100)
    slots = list(BASE_TEAM) + [EXTRA_TEAM[index % len(EXTRA_TEAM)] for index in range(max(0, size - 12))]
    team: list[dict] = []
    names: set[str] = set()
    codes: set[str] = set()
    for index, (grade, group) in enumerate(slots[:size]):
        name = "Hélène Lefèvre" if index == 0 else ""
        while not name or name in names:
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
        names.add(name)
        code, suffix = _initials(name), 2
        while code in codes:
            code, suffix = f"{_initials(name)}{suffix}", suffix + 1
        codes.add(code)
        hourly, daily = GRADE_RATES[grade]
        step = rng.randint(-2, 2)
        team.append({
            "code": code, "name": name, "grade": grade, "groups": [group],
            "hourly_rate": _money((hourly + 5 * step) * 100), "daily_rate": _money((daily + 30 * step) * 100),
            "active": True,
        })
    return team


def _client_name(rng: random.Random, city: str, foreign: bool) -> str:
    """A plausible company name from the word lists."""
    surname = rng.choice(SURNAMES)
    if foreign:
        return f"{rng.choice(COMPANY_ACTIVITIES)} {surname} {rng.choice(('SRL', 'SA', 'SARL'))}"
    pattern = rng.random()
    if pattern < 0.30:
        return f"{rng.choice(TRADES)} {surname}"
    if pattern < 0.55:
        return f"{rng.choice(COMPANY_ACTIVITIES)} {surname} {rng.choice(LEGAL_FORMS)}"
    if pattern < 0.67:
        return f"SCI {rng.choice(PLACES)}"
    if pattern < 0.75:
        return f"{surname} & Fils"
    if pattern < 0.85:
        venue, where = rng.choice(VENUES)
        return f"{venue} {where}"
    if pattern < 0.93:
        return f"{rng.choice(SYLLABLES_A)}{rng.choice(SYLLABLES_B)} {rng.choice(('SAS', 'SASU', 'SARL'))}"
    return f"{rng.choice(COMPANY_ACTIVITIES)} de {city}"


def _unique_sirens(rng: random.Random, used: set[str]) -> str:
    """A new valid SIREN, never La Poste's and never one already used."""
    while True:
        siren = siren_with_key(str(rng.randint(30_000_000, 99_999_999)))
        if siren not in used and not siren.startswith("356000000"):
            used.add(siren)
            return siren


def _client(rng: random.Random, number: int, year: int, used_names: set[str], used_sirens: set[str]) -> dict:
    """One client with identifiers, a default address and billing conditions from January 1."""
    foreign = rng.random() < 0.02
    if foreign:
        city, postcode, country = rng.choice(FOREIGN_CITIES)
    else:
        (city, postcode), country = rng.choice(CITIES), "FR"
    name = _client_name(rng, city, foreign)
    if name in used_names:
        name = f"{name} {city}"
    suffix = 2
    while name in used_names:
        name, suffix = f"{name.rsplit(' #', 1)[0]} #{suffix}", suffix + 1
    used_names.add(name)
    client: dict = {"code": f"C{number:05d}", "name": name}
    if foreign:
        client["vat_number"] = _foreign_vat(rng, country)
    else:
        siren = _unique_sirens(rng, used_sirens)
        client["siren"] = siren
        client["siret"] = _with_luhn_key(f"{siren}000{rng.randint(1, 4)}")
        client["vat_number"] = french_vat_number(siren)
    tld = {"FR": "fr", "BE": "be", "LU": "lu"}[country]
    client["email"] = f"{rng.choice(('compta', 'contact', 'facturation', 'direction'))}@{_ascii_slug(name)[:40]}.{tld}"
    client["active"] = True
    client["addresses"] = [{
        "code": "main", "line1": f"{rng.randint(1, 180)} {rng.choice(STREETS)}", "postcode": postcode,
        "city": city, "country": country, "default": True,
    }]
    eom = rng.random() < 0.35
    client["billing_conditions"] = [{
        "applies_from": date(year, 1, 1).isoformat(),
        "vat_regime": "reverse_charge" if foreign else "standard",
        # A month's invoice of several days' work is periodic: due within 45 days of its date (L441-10 I), which
        # "15 days end of month" always is, and "45 days end of month" never.
        "payment_terms_days": 15 if eom else 30, "end_of_month": eom,
        "payment_method": "transfer" if foreign or rng.random() < 0.6 else "direct_debit",
        "currency": "EUR",
        "line_mode": "per_article" if rng.random() < 0.03 else "detailed",
    }]
    return client


def _fee_cents(rng: random.Random, low: int, high: int) -> int:
    """An annual fee in cents between low and high euros, skewed to small amounts, cents sometimes."""
    euros = round(low * (high / low) ** (rng.random() ** 1.6) / 10) * 10
    cents = rng.randint(1, 99) if rng.random() < 0.2 else 0
    return min(high * 100, max(low * 100, euros * 100 + cents))


def _schedule(year: int) -> dict:
    """The fiscal year as a schedule."""
    return {"start": date(year, 1, 1).isoformat(), "end": date(year, 12, 31).isoformat()}


def _accounting(rng: random.Random, client: dict, year: int, manager: str) -> dict:
    """The bookkeeping engagement: monthly or quarterly fixed fee, tasks SAISIE, REVISION, BILAN."""
    number = client["code"][1:]
    fee = _fee_cents(rng, 1200, 24000)
    parts = [{
        "code": "FORFAIT", "label": f"Forfait annuel de tenue comptable {year}", "kind": "fixed_fee",
        "article": "HON-TEN", "fee_amount": _money(fee),
        "frequency": "monthly" if rng.random() < 0.7 else "quarterly", "schedule": _schedule(year),
    }]
    if rng.random() < 0.5:
        parts.append({
            "code": "JURIDIQUE", "label": "Comptes annuels et secrétariat juridique", "kind": "fixed_fee",
            "article": "HON-JUR", "fee_amount": _money(rng.randint(45, 150) * 1000), "frequency": "yearly",
            "schedule": _schedule(year),
        })
    planned = max(8, fee // 100 // 70)  # hours the fee pays for at about 70 EUR an hour
    return {
        "code": f"E{number}-TEN", "client": client["code"], "label": f"Tenue comptable {year}",
        "class": "accounting", "fiscal_year": year, "manager": manager, "salesperson": None, "currency": "EUR",
        "all_parts_on_one_invoice": False, "billing_address": None, "status": "active", "parts": parts,
        "tasks": [
            {"code": "SAISIE", "label": "Saisie", "parent": None, "part": None, "status": "active",
             "planned_hours": str(planned * 6 // 10)},
            {"code": "REVISION", "label": "Révision", "parent": None, "part": None, "status": "active",
             "planned_hours": str(planned * 3 // 10)},
            {"code": "BILAN", "label": "Bilan", "parent": None, "part": None,
             "status": "preparing" if rng.random() < 0.3 else "active", "planned_hours": str(max(2, planned // 10))},
        ],
    }


def _payroll(rng: random.Random, client: dict, year: int, manager: str) -> dict:
    """The payroll engagement: payslips billed per unit, sometimes with a fixed fee on the same invoice."""
    number = client["code"][1:]
    parts = [{
        "code": "BULLETINS", "label": "Bulletins de paie", "kind": "units", "article": "BUL",
        "unit_price": rng.choice(("16.50", "18.50", "18.50", "18.50", "21.00", "24.00")), "metric_code": PAYSLIPS,
    }]
    together = rng.random() < 0.2
    if together:
        parts.append({
            "code": "DECL", "label": "Déclarations sociales", "kind": "fixed_fee", "article": "HON-SOC",
            "fee_amount": _money(rng.randint(24, 120) * 1000), "frequency": "monthly", "schedule": _schedule(year),
        })
    return {
        "code": f"E{number}-PAIE", "client": client["code"], "label": f"Gestion de la paie {year}",
        "class": "payroll", "fiscal_year": year, "manager": manager, "salesperson": None, "currency": "EUR",
        "all_parts_on_one_invoice": together, "billing_address": None, "status": "active", "parts": parts,
        "tasks": [
            {"code": "BULLETINS", "label": "Bulletins", "parent": None, "part": "BULLETINS", "status": "active",
             "planned_hours": None},
            {"code": "DSN", "label": "Déclarations sociales nominatives", "parent": None, "part": None,
             "status": "active", "planned_hours": None},
        ],
    }


def _consulting(rng: random.Random, client: dict, year: int, manager: str, salesperson: str) -> dict:
    """The consulting engagement: one time-and-materials part billed by the hour or by the day."""
    number = client["code"][1:]
    unit = "day" if rng.random() < 1 / 3 else "hour"
    part: dict = {
        "code": "REGIE", "label": "Honoraires au temps passé", "kind": "time_and_materials",
        "article": "CONS/STD", "billing_unit": unit, "on_own_invoice": rng.random() < 0.25, "rates": [],
        "overtime": {"hourly_rate": None, "bands": OVERTIME_BANDS},
    }
    if rng.random() < 0.35:
        grade = rng.choice(("manager", "senior", "associe"))
        hourly, daily = GRADE_RATES[grade]
        discount = rng.choice((0.9, 0.95))
        rate = {"grade": grade}
        if unit == "hour":
            rate["hourly_rate"] = _money(round(hourly * discount) * 100)
        else:
            rate["daily_rate"] = _money(round(daily * discount / 10) * 1000)
        part["rates"].append(rate)
    planned = rng.randint(3, 30) * 7
    return {
        "code": f"E{number}-CONS", "client": client["code"], "label": f"{rng.choice(CONSULTING_LABELS)} {year}",
        "class": "consulting", "fiscal_year": year, "manager": manager, "salesperson": salesperson,
        "currency": "EUR", "all_parts_on_one_invoice": False, "billing_address": None, "status": "active",
        "parts": [part],
        "tasks": [
            {"code": "DIAG", "label": "Diagnostic", "parent": None, "part": "REGIE", "status": "active",
             "planned_hours": str(planned // 4)},
            {"code": "MISSION", "label": "Réalisation", "parent": None, "part": "REGIE", "status": "active",
             "planned_hours": str(planned - planned // 4)},
            {"code": "RAPPORT", "label": "Rapport", "parent": "MISSION", "part": "REGIE", "status": "active",
             "planned_hours": None},
        ],
    }


def _leads(team: list[dict], group: str) -> list[str]:
    """Codes of the managers and partners of a group."""
    return [c["code"] for c in team if group in c["groups"] and c["grade"] in ("associe", "manager")]


def generate_portfolio(*, clients: int = 200, seed: int = 1, today: date) -> dict:
    """A demo portfolio of a French accounting firm, valid against portfolio.schema.json."""
    if clients < 0:
        raise ValueError("the number of clients cannot be negative")
    rng = random.Random(seed)
    year = today.year
    used_sirens: set[str] = set()
    organisation = _organisation(used_sirens)
    team = _collaborators(rng, clients)
    expertise, social, conseil = _leads(team, "EXPERTISE"), _leads(team, "SOCIAL"), _leads(team, "CONSEIL")
    partners = [c["code"] for c in team if c["grade"] == "associe"]
    used_names: set[str] = set()
    client_rows: list[dict] = []
    engagements: list[dict] = []
    rule_client: str | None = None
    for index in range(clients):
        client = _client(rng, index + 1, year, used_names, used_sirens)
        client_rows.append(client)
        engagements.append(_accounting(rng, client, year, rng.choice(expertise)))
        if rng.random() < 0.6 or index == min(1, clients - 1):
            engagements.append(_payroll(rng, client, year, rng.choice(social)))
        if rng.random() < 0.15 or index == min(2, clients - 1):
            engagements.append(_consulting(rng, client, year, rng.choice(conseil), rng.choice(partners)))
            rule_client = rule_client or client["code"]
    # No two rules of equal specificity can match the same time: R-AUDIT needs activity audit, the
    # two others activity conseil, and those two differ in the number of criteria.
    rules = [
        {"code": "R-AUDIT", "article": "CONS/AUD", "activity": "audit"},
        {"code": "R-CONSEIL", "article": "CONS/STD", "group": "CONSEIL", "activity": "conseil"},
    ]
    if rule_client:
        rules.append({"code": f"R-{rule_client}", "article": "CONS/STR", "client": rule_client,
                      "group": "CONSEIL", "activity": "conseil"})
    funder, training = _training(client_rows, team, seed, today, used_sirens)
    if funder:
        client_rows.append(funder)
    return {
        "format": "prebill-portfolio",
        "version": 1,
        "organisation": organisation,
        "collaborator_groups": [{"code": code, "label": label} for code, label in GROUPS],
        "collaborators": team,
        "articles": [dict(article) for article in ARTICLES],
        "clients": client_rows,
        "engagements": engagements,
        "article_rules": rules,
        **_orders_and_deliveries(engagements, year, today),
        **training,
    }


def _orders_and_deliveries(engagements: list[dict], year: int, today: date) -> dict:
    """Each consulting engagement has the client's order for its hours (or days); every other one also a
    delivery note this month. Drawn without the random generator, so the rest of the portfolio is unchanged."""
    orders, deliveries = [], []
    for index, engagement in enumerate(e for e in engagements if e["class"] == "consulting"):
        by_day = engagement["parts"][0]["billing_unit"] == "day"
        orders.append({
            "client": engagement["client"], "engagement": engagement["code"], "number": f"BC-{year}-{index + 1:04d}",
            "date": date(year, 1, 15).isoformat(),
            "lines": [{"article": "CONS/STD", "designation": engagement["label"], "quantity": "20" if by_day else "120",
                       "unit_price": "750.00" if by_day else "115.00"}]})
        if index % 2 == 0:
            deliveries.append({
                "client": engagement["client"], "engagement": engagement["code"],
                "number": f"BL-{today:%Y%m}-{index + 1:04d}", "date": today.replace(day=min(today.day, 10)).isoformat(),
                "lines": [{"article": "CONS/STD", "designation": "Atelier de restitution sur site", "quantity": "1",
                           "unit_price": "950.00"}]})
    return {"customer_orders": orders, "delivery_notes": deliveries}


def _training(clients: list[dict], team: list[dict], seed: int, today: date,
              used_sirens: set[str]) -> tuple[dict | None, dict]:
    """The products, five sessions (one ongoing today, the others planned: the user marks one done) for the
    staff of French clients, and the OPCO client that funds them on one consolidated invoice. Drawn from a
    generator of its own, the funder after the other clients: the rest of the portfolio is unchanged."""
    products = [dict(product) for product in TRAINING_PRODUCTS]
    sponsors = [c["code"] for c in clients if "siren" in c][:4]
    if not sponsors:
        return None, {"training_products": products, "training_sessions": []}
    rng = random.Random(f"training-{seed}")
    trainers = [c["code"] for c in team if c["grade"] in ("manager", "senior")]
    sessions = []
    for number, (product, offset, length, place, learners, funded) in enumerate(TRAINING_SESSIONS, start=1):
        if offset is None:  # ongoing, and ending this month: marked done, it drafts into today's month
            start = today - timedelta(days=1) if today.day > 1 else today
        else:
            start = _next_weekday(today + timedelta(days=offset))
        end = start + timedelta(days=length - 1)
        # Fewer than four French clients: sponsors repeat, their learners and fundings merged.
        sent: dict[str, int] = {}
        for sponsor, count in learners.items():
            code = sponsors[sponsor % len(sponsors)]
            sent[code] = sent.get(code, 0) + count
        fundings: dict[str, dict] = {}
        for sponsor, (kind, value) in funded.items():
            fundings.setdefault(sponsors[sponsor % len(sponsors)], {kind: value})
        sessions.append({
            "reference": f"SES-{today.year}-{number:02d}", "product": product, "start": start.isoformat(),
            "end": end.isoformat(), "place": place, "trainer": trainers[number % len(trainers)],
            "discount_percent": "10" if number == 4 else "0", "status": "ongoing" if offset is None else "planned",
            "learners": [{"name": f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}", "sponsor": code}
                         for code, count in sent.items() for _ in range(count)],
            # The OPCO's file (prise en charge) and the training agreement its invoice must quote.
            "fundings": [{"funder": FUNDER, "sponsor": code, **share,
                          "file_number": f"PEC-{today.year}-{number:02d}{n:02d}",
                          "agreement_reference": f"CONV-{today.year}-{number:02d}{n:02d}"}
                         for n, (code, share) in enumerate(fundings.items(), start=1)],
        })
    siren = _unique_sirens(rng, used_sirens)
    funder = {
        "code": FUNDER, "name": "OPCO Compétences et Services", "siren": siren,
        "siret": _with_luhn_key(f"{siren}0001"), "vat_number": french_vat_number(siren),
        "email": "financements@opco-competences-services.fr", "active": True, "training_billing": "consolidated",
        "addresses": [{"code": "main", "line1": "25 quai Panhard et Levassor", "postcode": "75013", "city": "Paris",
                       "country": "FR", "default": True}],
        "billing_conditions": [{"applies_from": date(today.year, 1, 1).isoformat(), "vat_regime": "standard",
                                "payment_terms_days": 30, "end_of_month": False, "payment_method": "transfer",
                                "currency": "EUR", "line_mode": "detailed"}],
    }
    return funder, {"training_products": products, "training_sessions": sessions}


def _next_weekday(day: date) -> date:
    """The day itself, or the Monday after it when it falls on a weekend."""
    return day + timedelta(days=(7 - day.weekday()) % 7 if day.weekday() >= 5 else 0)


# --- timesheets ------------------------------------------------------------------------------------


def _table(weights: dict[int, int]) -> list[str]:
    """Hour strings repeated by weight, to draw from with one random number."""
    return [_hours(quarters) for quarters, weight in weights.items() for _ in range(weight)]


HOURS_SAISIE = _table({2: 3, 3: 3, 4: 6, 5: 4, 6: 6, 7: 3, 8: 5, 10: 3, 12: 4, 14: 1, 16: 2})
HOURS_REVISION = _table({4: 4, 6: 4, 8: 6, 10: 3, 12: 5, 14: 2, 16: 4, 20: 2, 24: 2, 28: 1, 32: 1})
HOURS_REVIEW = _table({1: 2, 2: 5, 3: 3, 4: 5, 6: 3, 8: 2})
HOURS_CONSULTING = _table({4: 2, 8: 4, 12: 3, 14: 4, 16: 4, 20: 2, 24: 3, 28: 4, 30: 1, 32: 2})
HOURS_DAYS = _table({14: 3, 28: 8, 30: 1, 32: 1})
DOMAINS_ACCOUNTING = ("compta", "compta", "compta", "fiscal")
DOMAINS_CONSULTING = ("gestion", "gestion", "fiscal", "juridique")


def iter_time_rows(
    portfolio: dict, *, seed: int = 1, today: date, count: int | None = None
) -> Iterator[dict]:
    """Timesheet CSV rows (dicts of strings) on the accounting and consulting engagements, streamed."""
    rng = random.Random(seed)
    rnd = rng.random
    if count is None:
        # The OPCO only funds training: no time is spent for it.
        count = ENTRIES_PER_CLIENT * sum(1 for c in portfolio.get("clients", []) if c["code"] != FUNDER)
    team = portfolio.get("collaborators", [])
    staff = [c["code"] for c in team if "EXPERTISE" in c["groups"] and c["grade"] in ("senior", "junior", "assistant")]
    staff = staff or [c["code"] for c in team]
    consultants = [c["code"] for c in team if "CONSEIL" in c["groups"] and c["grade"] != "associe"]
    consultants = consultants or [c["code"] for c in team]
    conseil = {c["code"] for c in team if "CONSEIL" in c["groups"]}
    accounting: list[tuple] = []  # (code, manager, staff 1, staff 2, revision tasks)
    weights: list[int] = []
    consulting: list[tuple] = []  # (code, part, lead, hour table)
    for engagement in portfolio.get("engagements", []):
        kind = engagement.get("class")
        if kind == "accounting":
            active = {t["code"] for t in engagement.get("tasks", []) if t.get("status", "active") == "active"}
            revision = tuple(code for code in ("REVISION", "REVISION", "BILAN") if code in active) or ("",)
            manager = engagement.get("manager") or rng.choice(staff)
            accounting.append((engagement["code"], manager, rng.choice(staff), rng.choice(staff), revision))
            fixed = [p for p in engagement.get("parts", []) if p.get("kind") == "fixed_fee" and p.get("fee_amount")]
            weights.append(max(1, int(Decimal(str(fixed[0]["fee_amount"])))) if fixed else 1000)
        elif kind == "consulting":
            for part in engagement.get("parts", []):
                if part.get("kind") == "time_and_materials":
                    table = HOURS_DAYS if part.get("billing_unit") == "day" else HOURS_CONSULTING
                    consulting.append((engagement["code"], part["code"], rng.choice(consultants), table))
                    break
    if count <= 0 or not (accounting or consulting):
        return
    cumulative = list(accumulate(weights))
    total_weight = cumulative[-1] if cumulative else 0
    days = _weekdays(date(today.year, 1, 1), today) or [today]
    this_month = [day for day in days if day.month == today.month and day.year == today.year] or days[-1:]
    recent = today - timedelta(days=7)
    day_pool = [(day.isoformat(), day > recent) for day in days]
    month_pool = [(day.isoformat(), day > recent) for day in this_month]
    n_days, n_month, n_cons, last_accounting = len(day_pool), len(month_pool), len(consulting), len(accounting) - 1
    n_consultants = len(consultants)
    consulting_share = 0.0 if not consulting else 1.0 if not accounting else 0.12
    managers = [c["code"] for c in team if c["grade"] in ("manager", "associe") and "EXPERTISE" in c["groups"]]
    helpers = managers or consultants
    round_robin = 0
    for number in range(1, count + 1):
        if rnd() < consulting_share:
            if rnd() < 0.3:  # keep time in the current month, spread over every consulting engagement
                code, part, lead, table = consulting[round_robin % n_cons]
                round_robin += 1
                day, fresh = month_pool[int(rnd() * n_month)]
            else:
                code, part, lead, table = consulting[int(rnd() * n_cons)]
                day, fresh = day_pool[int(rnd() * n_days)]
            who = rnd()
            collaborator = lead if who < 0.55 else consultants[int(rnd() * n_consultants)] if who < 0.9 \
                else helpers[int(rnd() * len(helpers))]
            activity = "audit" if collaborator in conseil and rnd() < 0.3 else "conseil"
            task = "DIAG" if rnd() < 0.25 else "MISSION"
            hours = table[int(rnd() * len(table))]
            domain = DOMAINS_CONSULTING[int(rnd() * 4)]
        else:
            index = min(bisect_right(cumulative, rnd() * total_weight), last_accounting)
            code, manager, first, second, revision = accounting[index]
            day, fresh = day_pool[int(rnd() * n_days)]
            part = ""
            who = rnd()
            if who < 0.15:
                collaborator, activity, task = manager, "revision", revision[int(rnd() * len(revision))]
                hours = HOURS_REVIEW[int(rnd() * len(HOURS_REVIEW))]
            else:
                collaborator = first if who < 0.65 else second
                if rnd() < 0.7:
                    activity, task, hours = "saisie", "SAISIE", HOURS_SAISIE[int(rnd() * len(HOURS_SAISIE))]
                else:
                    activity, task = "revision", revision[int(rnd() * len(revision))]
                    hours = HOURS_REVISION[int(rnd() * len(HOURS_REVISION))]
            domain = DOMAINS_ACCOUNTING[int(rnd() * 4)]
        flag = rnd()
        billable = "yes" if flag < 0.96 else "no" if flag < 0.99 else "undecided"
        approved = "yes" if rnd() < (0.5 if fresh else 0.97) else "no"
        if rnd() < 0.3:
            comments = COMMENTS[activity]
            comment = comments[int(rnd() * len(comments))]
        else:
            comment = ""
        yield {
            "id": f"T{number:07d}", "date": day, "collaborator": collaborator, "engagement": code, "part": part,
            "task": task, "hours": hours, "billable": billable, "activity": activity, "domain": domain,
            "approved": approved, "comment": comment,
        }


# --- payroll metrics -------------------------------------------------------------------------------


def iter_metric_rows(portfolio: dict, *, seed: int = 1, today: date) -> Iterator[dict]:
    """Payroll CSV rows: payslips per payroll engagement and month, January to today's month."""
    rng = random.Random(seed)
    for engagement in portfolio.get("engagements", []):
        units = [p for p in engagement.get("parts", []) if p.get("kind") == "units" and p.get("metric_code")]
        if engagement.get("class") != "payroll" or not units:
            continue
        draw = rng.random()
        headcount = rng.randint(1, 5) if draw < 0.5 else rng.randint(6, 20) if draw < 0.85 else rng.randint(21, 80)
        for month in range(1, today.month + 1):
            change = rng.random()
            if change < 0.12:
                headcount += 1
            elif change < 0.2 and headcount > 1:
                headcount -= 1
            extra = rng.randint(1, 3) if month in (7, 8) and rng.random() < 0.3 else 0  # summer jobs
            yield {
                "client": engagement["client"], "engagement": engagement["code"], "metric": units[0]["metric_code"],
                "period": f"{today.year}-{month:02d}", "quantity": str(headcount + extra),
            }


# --- files -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoFiles:
    """Paths of the three demo files."""

    portfolio: Path
    time: Path
    metrics: Path


def _write_csv(path: Path, columns: tuple[str, ...], rows: Iterator[dict]) -> None:
    """Write rows as a comma-separated UTF-8 CSV file with a header."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def write_demo_files(
    directory: Path, *, clients: int, seed: int, today: date, time_entries: int | None = None
) -> DemoFiles:
    """Write portfolio.json, time.csv and metrics.csv into directory."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    portfolio = generate_portfolio(clients=clients, seed=seed, today=today)
    files = DemoFiles(directory / "portfolio.json", directory / "time.csv", directory / "metrics.csv")
    with files.portfolio.open("w", encoding="utf-8") as handle:
        json.dump(portfolio, handle, ensure_ascii=False, indent=2)
        handle.write("\n")
    _write_csv(files.time, TIME_COLUMNS, iter_time_rows(portfolio, seed=seed, today=today, count=time_entries))
    _write_csv(files.metrics, METRIC_COLUMNS, iter_metric_rows(portfolio, seed=seed, today=today))
    return files
