#!/usr/bin/env bash
# Draws every icon Klingel ships from icons/icon.png (512x512), with ImageMagick and DejaVu
# Sans Bold. The results are committed; run this again only when the bell changes.
#   icons/<N>x<N>.png  — the app icon in the sizes desktops look for (hicolor theme)
#   icons/icon.ico     — the same for Windows builds
#   icons/tray/*.png   — the tray's states: the bell, with a badge for anything but "all is well"
set -euo pipefail
cd "$(dirname "$0")/../icons"
font=DejaVu-Sans-Bold

for size in 16 24 32 48 64 128 256; do
    convert icon.png -resize "${size}x${size}" -strip "PNG32:${size}x${size}.png"
done
# Windows builds embed the icon as a resource.
convert icon.png -define icon:auto-resize=256,64,48,32,16 icon.ico

mkdir -p tray
tray=64
# The badge: a filled circle in the lower right quarter with a white rim, so it stays readable
# on light and dark panels alike.
badge() { # colour, text, point size, output
    convert icon.png -resize "${tray}x${tray}" \
        -fill "$1" -stroke white -strokewidth 3 -draw "circle 45,45 45,27" \
        -stroke none -fill white -font "$font" -pointsize "$3" -gravity center \
        -annotate +13+13 "$2" -strip "PNG32:tray/$4.png"
}
convert icon.png -resize "${tray}x${tray}" -strip PNG32:tray/listening.png
badge '#c62828' '!' 24 problem
for n in 1 2 3 4 5 6 7 8 9; do badge '#1565c0' "$n" 24 "missed-$n"; done
badge '#1565c0' '9+' 17 missed-many
# Do not disturb: the bell greyed out, with a dark bar badge.
convert icon.png -resize "${tray}x${tray}" -colorspace Gray -colorspace sRGB \
    -fill '#455a64' -stroke white -strokewidth 3 -draw "circle 45,45 45,27" \
    -stroke none -fill white -draw "rectangle 36,42 54,48" -strip PNG32:tray/dnd.png
