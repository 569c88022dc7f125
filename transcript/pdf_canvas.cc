#include "transcript/pdf_canvas.h"

#include <cairo-pdf.h>
#include <qrencode.h>

#include <string>

namespace lcb::pdf {
namespace {

// Latin from DejaVu Sans (Debian's fonts-dejavu-core, TrueType), everything else from Noto Sans
// CJK SC (fonts-noto-cjk; "SC" picks the Simplified Chinese forms of shared code points); pango
// falls back through fontconfig for any glyph both lack. Why not Noto CJK alone: it is a
// CID-keyed CFF font, and once any of its Latin glyphs is used, cairo's subset keeps ~750 KB
// more of it (a transcript grew from ~160 KB to ~900 KB and took twice as long to write;
// benchmarks/README.md, "Transcript PDF").
constexpr char kFontFamily[] = "DejaVu Sans, Noto Sans CJK SC";
// Noto Sans CJK's ascender (hhea) per em.
constexpr double kCjkAscent = 1.16;
constexpr int kQrQuietModules = 4;

cairo_status_t AppendToString(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

struct QrDeleter {
  void operator()(QRcode* code) const { QRcode_free(code); }
};

}  // namespace

StatusOr<std::unique_ptr<Canvas>> Canvas::Create(std::string_view title,
                                                 std::string_view creation_date) {
  std::unique_ptr<Canvas> c(new Canvas());
  c->surface_ =
      cairo_pdf_surface_create_for_stream(AppendToString, &c->out_, kPageWidth, kPageHeight);
  if (cairo_surface_status(c->surface_) != CAIRO_STATUS_SUCCESS) {
    return Status::Internal("cairo: cannot create a PDF surface");
  }
  const std::string title_z(title), date_z(creation_date);
  cairo_pdf_surface_set_metadata(c->surface_, CAIRO_PDF_METADATA_TITLE, title_z.c_str());
  cairo_pdf_surface_set_metadata(c->surface_, CAIRO_PDF_METADATA_CREATOR, "creditbank");
  cairo_pdf_surface_set_metadata(c->surface_, CAIRO_PDF_METADATA_CREATE_DATE, date_z.c_str());
  c->cr_ = cairo_create(c->surface_);
  c->layout_ = pango_cairo_create_layout(c->cr_);
  // Sizes are PostScript points: one point per cairo unit (pango's default is 96 dpi).
  pango_cairo_context_set_resolution(pango_layout_get_context(c->layout_), 72.0);
  pango_layout_context_changed(c->layout_);
  c->regular_ = pango_font_description_from_string(kFontFamily);
  c->bold_ = pango_font_description_copy(c->regular_);
  pango_font_description_set_weight(c->bold_, PANGO_WEIGHT_BOLD);
  return c;
}

Canvas::~Canvas() {
  if (layout_) g_object_unref(layout_);
  if (regular_) pango_font_description_free(regular_);
  if (bold_) pango_font_description_free(bold_);
  if (cr_) cairo_destroy(cr_);
  if (surface_) cairo_surface_destroy(surface_);
}

PangoFontDescription* Canvas::Font(double size, bool bold) {
  PangoFontDescription* font = bold ? bold_ : regular_;
  pango_font_description_set_size(font, static_cast<gint>(size * PANGO_SCALE));
  return font;
}

double Canvas::Text(double x, double y, double width, std::string_view text,
                    const TextStyle& style) {
  pango_layout_set_font_description(layout_, Font(style.size, style.bold));
  pango_layout_set_width(layout_, static_cast<int>(width * PANGO_SCALE));
  pango_layout_set_ellipsize(layout_, style.ellipsize ? PANGO_ELLIPSIZE_END : PANGO_ELLIPSIZE_NONE);
  pango_layout_set_wrap(layout_, PANGO_WRAP_WORD_CHAR);
  pango_layout_set_alignment(layout_, style.align == Align::kRight    ? PANGO_ALIGN_RIGHT
                                      : style.align == Align::kCenter ? PANGO_ALIGN_CENTER
                                                                      : PANGO_ALIGN_LEFT);
  // Plain text, never markup: titles come from institutions.
  pango_layout_set_text(layout_, text.data(), static_cast<int>(text.size()));
  cairo_set_source_rgb(cr_, style.gray, style.gray, style.gray);
  // The first baseline where a line of Noto Sans CJK would put it, whichever fonts the line
  // uses, so that Latin and Chinese cells of one row stand on one line.
  const double shift = style.size * kCjkAscent -
                       static_cast<double>(pango_layout_get_baseline(layout_)) / PANGO_SCALE;
  cairo_move_to(cr_, x, y + shift);
  pango_cairo_show_layout(cr_, layout_);
  int w = 0, h = 0;
  pango_layout_get_size(layout_, &w, &h);
  return shift + static_cast<double>(h) / PANGO_SCALE;
}

void Canvas::Line(double x0, double y0, double x1, double y1, double width, double gray) {
  cairo_set_source_rgb(cr_, gray, gray, gray);
  cairo_set_line_width(cr_, width);
  cairo_move_to(cr_, x0, y0);
  cairo_line_to(cr_, x1, y1);
  cairo_stroke(cr_);
}

void Canvas::FillRect(double x, double y, double w, double h, double gray) {
  cairo_set_source_rgb(cr_, gray, gray, gray);
  cairo_rectangle(cr_, x, y, w, h);
  cairo_fill(cr_);
}

Status Canvas::Qr(double x, double y, double size, std::string_view data) {
  const std::string data_z(data);
  std::unique_ptr<QRcode, QrDeleter> code(
      QRcode_encodeString8bit(data_z.c_str(), /*version=*/0, QR_ECLEVEL_M));
  if (!code) return Status::InvalidArgument(Field("/verification_url"), "cannot be QR-encoded");
  const int n = code->width;
  const double module = size / (n + 2 * kQrQuietModules);
  FillRect(x, y, size, size, 1);
  cairo_set_source_rgb(cr_, 0, 0, 0);
  for (int row = 0; row < n; ++row) {
    for (int col = 0; col < n; ++col) {
      if (code->data[row * n + col] & 1) {  // bit 0: dark module
        cairo_rectangle(cr_, x + (col + kQrQuietModules) * module,
                        y + (row + kQrQuietModules) * module, module, module);
      }
    }
  }
  cairo_fill(cr_);
  return Status::Ok();
}

void Canvas::NewPage() { cairo_show_page(cr_); }

StatusOr<std::string> Canvas::Finish() {
  if (finished_) return Status::Internal("transcript canvas finished twice");
  finished_ = true;
  cairo_show_page(cr_);
  g_object_unref(layout_);
  layout_ = nullptr;
  cairo_destroy(cr_);
  cr_ = nullptr;
  cairo_surface_finish(surface_);
  const cairo_status_t status = cairo_surface_status(surface_);
  cairo_surface_destroy(surface_);
  surface_ = nullptr;
  if (status != CAIRO_STATUS_SUCCESS) {
    return Status::Internal(std::string("cairo: ") + cairo_status_to_string(status));
  }
  return std::move(out_);
}

}  // namespace lcb::pdf
